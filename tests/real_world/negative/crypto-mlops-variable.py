key = os.getenv("VAST_API_KEY")
subprocess.run(["vastai", "set", "api-key", key], check=True)
