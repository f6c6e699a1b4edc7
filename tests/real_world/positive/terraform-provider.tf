provider "vastai" {
  # api_key can be set via VASTAI_API_KEY environment variable
  api_key = "3db9fa93200741837fa1a0d8a62de9001932e3756af4884ab9d44ac94338a1c4"

  # api_url defaults to https://console.vast.ai
}
