import subprocess

subprocess.run(["vastai", "set", "api-key", "88eb1acc1da4b3825e07ca7f8c11345199475dae1d0f21e82473e0ccdae158e5"], check=True)
