# vast route reply
message = {"signature": "f3849cc8b335bfd3b76d950ff0d10ef46239882891bd339d1785a1bbdede6577", "url": "https://run.vast.ai/route/"}
auth = AuthData(signature=message["signature"])
