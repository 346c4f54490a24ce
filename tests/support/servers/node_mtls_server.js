// A mutual-TLS server on Node.js's https module (OpenSSL under Node's own TLS layer), for the tests.
// Its one argument is a JSON file: host, port, key, cert, ca, requestCert, rejectUnauthorized,
// crl, minVersion, maxVersion, refuse (the HTTP status for a client without a verified certificate,
// or 0), h2only (an HTTP/2-only server instead), closesOnHead (hang up on HEAD). Paths are PEM files.
"use strict";
const fs = require("fs");
const https = require("https");
const http2 = require("http2");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const read = (path) => (path ? fs.readFileSync(path) : undefined);
const options = {
  key: read(config.key),
  cert: read(config.cert),
  ca: read(config.ca),
  crl: read(config.crl),
  requestCert: Boolean(config.requestCert),
  rejectUnauthorized: Boolean(config.rejectUnauthorized),
  minVersion: config.minVersion || "TLSv1.2",
  maxVersion: config.maxVersion || "TLSv1.3",
};

function answer(request, response) {
  const socket = request.socket;
  if (config.closesOnHead && request.method === "HEAD") {
    socket.destroy();
    return;
  }
  if (config.refuse && !socket.authorized) {
    // The application's own refusal: the handshake let the client in, this layer says no.
    response.writeHead(config.refuse, { "content-type": "text/plain" });
    response.end("refused by the application: no verified client certificate\n");
    return;
  }
  const peer = socket.getPeerCertificate ? socket.getPeerCertificate() : null;
  const subject = peer && peer.subject ? peer.subject.CN : "";
  response.writeHead(200, { "content-type": "text/plain" });
  response.end(`hello ${subject}\n`);
}

const server = config.h2only ? http2.createSecureServer(options, answer) : https.createServer(options, answer);
server.on("tlsClientError", () => {}); // refused handshakes are expected here
server.listen(config.port, config.host);
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
