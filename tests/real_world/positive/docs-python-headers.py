import requests

headers = {"Authorization": "Bearer 005d2777127ca5d977941607ade693111d509d3e8136cf0b46797004538dfec6"}
resp = requests.get("https://console.vast.ai/api/v0/users/current/", headers=headers)
print(resp.json())
