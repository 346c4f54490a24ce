"""What the practice load balancer and its built-in backend answer, as they go over the wire.

A refusal by the load balancer itself is nginx's own page, in nginx's English words, as ELB (whose
layer 7 runs on nginx) sends it: `check` and every script recognise a load balancer's refusal by
these words, in every language. What the application behind answers (the built-in backend, the
app400 mistake, the missing post-handshake authentication) follows the wizard's language at the
moment of the answer, with a Content-Language header saying which.
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard import i18n
from wizard.i18n import _

SERVER = "mtls-wizard-practice"


def _nginx_page(title: str, headline: str, reason: str = "") -> str:
    line = f"<center>{reason}</center>\r\n" if reason else ""
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{headline}</h1></center>\r\n{line}"
            "<hr><center>mtls-wizard practice load balancer</center>\r\n</body>\r\n</html>\r\n")


NO_CERT_PAGE = _nginx_page("400 No required SSL certificate was sent", "400 Bad Request", "No required SSL certificate was sent")
CERT_ERROR_PAGE = _nginx_page("400 The SSL certificate error", "400 Bad Request", "The SSL certificate error")
BAD_REQUEST_PAGE = _nginx_page("400 Bad Request", "400 Bad Request")
BAD_GATEWAY_PAGE = _nginx_page("502 Bad Gateway", "502 Bad Gateway")
GATEWAY_TIMEOUT_PAGE = _nginx_page("504 Gateway Time-out", "504 Gateway Time-out")
LENGTH_REQUIRED_PAGE = _nginx_page("411 Length Required", "411 Length Required")
TOO_LARGE_PAGE = _nginx_page("413 Request Entity Too Large", "413 Request Entity Too Large")


@dataclass(frozen=True)
class Reply:
    """An answer: status line words, body, content type, and whether the body is in the reader's language."""

    status: str
    body: str
    content_type: str = "text/plain; charset=utf-8"
    translated: bool = False

    def encode(self, method: str) -> bytes:
        payload = self.body.encode("utf-8")
        language = f"Content-Language: {i18n.current_language().replace('_', '-')}\r\n" if self.translated else ""
        head = (f"HTTP/1.1 {self.status}\r\nServer: {SERVER}\r\nContent-Type: {self.content_type}\r\n{language}"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode("ascii")
        return head if method == "HEAD" else head + payload


def nginx_reply(status: str, page: str) -> Reply:
    return Reply(status, page, "text/html")


def app_400() -> Reply:
    """The application's own 400 (app400): deliberately not nginx's words, which mark a load balancer's refusal."""
    return Reply("400 Bad Request", _("Bad Request: this application wants a verified client certificate, and the listener "
                                      "let the request in without one.") + "\n", translated=True)


def no_post_handshake_auth() -> Reply:
    return Reply("403 Forbidden", _("Forbidden: this listener asks for the client certificate after the handshake (TLS 1.3 "
                                    "post-handshake authentication), and the client does not offer it.") + "\n", translated=True)


def echo(subject: str, received: list[tuple[str, str]], forwarded_any: bool) -> Reply:
    """The built-in backend's answer: who came in, and the client-certificate headers it received."""
    greeting = (_("Hello {subject}: mutual TLS works.").format(subject=subject) if subject
                else _("Hello: one-way TLS, no client certificate asked for."))
    lines = [greeting, "", _("The practice load balancer's backend received these client-certificate headers:")]
    lines += [f"  {name}: {value}" for name, value in received]
    if not received:
        lines.append("  " + (_("none (no client certificate came with the request)") if forwarded_any else
                             _("none: the listener forwards no client-certificate headers (step 6 chooses them)")))
    return Reply("200 OK", "\n".join(lines) + "\n", translated=True)
