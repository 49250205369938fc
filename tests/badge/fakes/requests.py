"""A small working `requests` (micropython-lib's API; micropython-lib is not
available here): HTTP/1.0 over the unix port's sockets, plain http:// only (no TLS
in this build).  Like micropython-lib's: one request per connection, the body is
read to EOF on first access of .content, 301/302/303 redirects become GETs and
307/308 repeat the method.  Response: status_code, reason, headers, content, text,
json(), raw (the socket stream, for streaming), close()."""

import socket

try:
    import json as _json
except ImportError:
    _json = None


class Response:
    def __init__(self, f):
        self.raw = f
        self.encoding = "utf-8"
        self._cached = None
        self.status_code = None
        self.reason = ""
        self.headers = {}

    def close(self):
        if self.raw:
            self.raw.close()
            self.raw = None
        self._cached = None

    @property
    def content(self):
        if self._cached is None:
            try:
                self._cached = self.raw.read()
            finally:
                self.raw.close()
                self.raw = None
        return self._cached

    @property
    def text(self):
        return str(self.content, self.encoding)

    def json(self):
        return _json.loads(self.content)


def _split_url(url):
    try:
        proto, dummy, host, path = url.split("/", 3)
    except ValueError:
        proto, dummy, host = url.split("/", 2)
        path = ""
    if proto == "http:":
        port = 80
    elif proto == "https:":
        raise NotImplementedError("https is not available in the test harness")
    else:
        raise ValueError("Unsupported protocol: " + proto)
    if ":" in host:
        host, port = host.split(":", 1)
        port = int(port)
    return host, port, "/" + path


def request(method, url, data=None, json=None, headers=None, stream=None, timeout=None,
            parse_headers=True, _redirects=5):
    headers = dict(headers or {})
    host, port, path = _split_url(url)
    ai = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
    s = socket.socket(ai[0], socket.SOCK_STREAM, ai[2])
    try:
        if timeout is not None and hasattr(s, "settimeout"):
            s.settimeout(timeout)
        s.connect(ai[-1])
        if json is not None:
            data = _json.dumps(json)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(data, str):
            data = data.encode()
        req = "%s %s HTTP/1.0\r\nHost: %s\r\n" % (method, path, host)
        for k in headers:
            req += "%s: %s\r\n" % (k, headers[k])
        if data is not None:
            req += "Content-Length: %d\r\n" % len(data)
        req += "Connection: close\r\n\r\n"
        s.write(req.encode())
        if data is not None:
            s.write(data)
        line = s.readline().split(None, 2)
        if len(line) < 2:
            raise ValueError("HTTP error: BadStatusLine:\n%s" % line)
        status = int(line[1])
        reason = str(line[2].rstrip(), "utf-8") if len(line) > 2 else ""
        resp_headers = {}
        redirect = None
        while True:
            h = s.readline()
            if not h or h == b"\r\n":
                break
            text = str(h, "utf-8")
            if ":" in text:
                k, v = text.split(":", 1)
                resp_headers[k.strip()] = v.strip()
                if k.strip().lower() == "location" and 300 <= status <= 399:
                    redirect = v.strip()
    except:  # noqa: E722 (close the socket whatever went wrong)
        s.close()
        raise
    if redirect and _redirects:
        s.close()
        if redirect.startswith("/"):
            redirect = "http://%s:%d%s" % (host, port, redirect)
        if status in (301, 302, 303):
            return request("GET", redirect, None, None, headers, stream, timeout,
                           parse_headers, _redirects - 1)
        return request(method, redirect, data, None, headers, stream, timeout,
                       parse_headers, _redirects - 1)
    resp = Response(s)
    resp.status_code = status
    resp.reason = reason
    resp.headers = resp_headers
    return resp


def head(url, **kw):
    return request("HEAD", url, **kw)


def get(url, **kw):
    return request("GET", url, **kw)


def post(url, **kw):
    return request("POST", url, **kw)


def put(url, **kw):
    return request("PUT", url, **kw)


def patch(url, **kw):
    return request("PATCH", url, **kw)


def delete(url, **kw):
    return request("DELETE", url, **kw)
