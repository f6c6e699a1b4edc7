from vastai import VastAI

vast = VastAI(api_key="4720009b9723edc636bb4c4f0596b072a553f67093cc8f02caf2382c1527b162")
print(vast.show_user())
