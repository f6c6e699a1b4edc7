#!/bin/sh
# Verify the key works
curl -s -H "Authorization: Bearer 85ed3fe8e5e9dff2cf2e0f075e06131a7d1255cbd335a6d45492fff08450bac4" \
  "https://console.vast.ai/api/v0/users/current/"
