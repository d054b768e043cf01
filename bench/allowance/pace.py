# A paced HTTP server for the allowance benchmarks: /?size=N answers N bytes at
# once, /?rate=R&secs=S sends R bytes a second for S seconds in tenths.
import http.server, time, urllib.parse
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        rate = int(q.get("rate", ["0"])[0]); secs = float(q.get("secs", ["0"])[0]); size = int(q.get("size", ["0"])[0])
        self.send_response(200); self.end_headers()
        if size:
            self.wfile.write(b"x" * size); return
        end = time.time() + secs
        while time.time() < end:
            self.wfile.write(b"x" * (rate // 10)); self.wfile.flush(); time.sleep(0.1)
    def log_message(self, *a): pass
import sys
http.server.ThreadingHTTPServer((sys.argv[1], 8000), H).serve_forever()
