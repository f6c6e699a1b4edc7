import requests

response = requests.post(
    "https://console.vast.ai/api/v0/bundles/",
    headers={
        "Authorization": "Bearer edf016318b51c3ca16a7c60e258cd2a73cd24dd7d05bd94a752027fa6cdcf2eb",
        "Content-Type": "application/json"
    },
    json={"limit": 5},
)
