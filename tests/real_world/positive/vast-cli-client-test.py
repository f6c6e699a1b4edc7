def test_headers():
    c = VastClient(api_key="3208448d768707eafd52926788a8c38785c0ad1b162f1fccbd6045cfe127179c")
    h = c.headers()
