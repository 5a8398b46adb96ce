-- wrk script: POST the bytes of the file $WRK_BODY_FILE as application/json
-- to the URL's path, the same request every time (wrk builds it once).
-- bench/worker_bench.sh posts the wire-format payload runhooks delivers.
local file = assert(io.open(assert(os.getenv("WRK_BODY_FILE"), "WRK_BODY_FILE not set"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
