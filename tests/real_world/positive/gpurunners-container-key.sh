#!/bin/bash
trap 'vastai destroy instance $CONTAINER_ID' EXIT
CONTAINER_API_KEY=0f1cb061e3da9cd6ec03247f6e808321c7cb96b8aa589b82e0ca09eb0579f5a0
echo "$CONTAINER_API_KEY" > ~/.vast_api_key
