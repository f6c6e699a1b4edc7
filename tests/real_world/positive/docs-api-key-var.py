import requests

api_key = "e3fcb9d9270d8c7556cdf0c105af48cefdd8cfe3f6db387cb3c467787d2aafe1"

response = requests.post(
    "https://console.vast.ai/api/v0/bundles/",
    headers={"Authorization": f"Bearer {api_key}"},
)
