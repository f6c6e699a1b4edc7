# vast.ai instance portal auth
base_url="https://${PUBLIC_IPADDR}:${VAST_TCP_PORT_1111}"
curl -sk -H "Authorization: Bearer 762a8b9e96351a26b380d3f85030caf34d63c92a95a963cc4bbea85db26cb8d9" "${base_url}/"
