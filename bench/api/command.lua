-- wrk script: POST /api/v1/command with a fixed sentence (the text box of the companion).
wrk.method = "POST"
wrk.body = '{"text": "turn on the kitchen light", "origin": "app"}'
wrk.headers["Content-Type"] = "application/json"
