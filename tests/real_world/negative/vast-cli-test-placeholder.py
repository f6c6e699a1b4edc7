c = VastClient(api_key="mykey")
assert c.headers()["Authorization"] == "Bearer mykey"
