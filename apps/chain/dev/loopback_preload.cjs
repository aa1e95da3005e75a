// Node preload (`node --require ./loopback_preload.cjs ...`) that keeps every listening socket on loopback.
//
// Why: the alto bundler hard-codes `host: "0.0.0.0"` (esm/rpc/server.js) and has no flag to change it, so a dev
// chain started on a laptop would expose the bundler, and through it a funded executor key, to the whole network.
// Rewriting wildcard hosts in net.Server.prototype.listen covers fastify and anything else in the process; explicit
// non-wildcard hosts and Unix sockets are left alone.
"use strict";

const net = require("node:net");

const LOOPBACK = "127.0.0.1";
const WILDCARDS = new Set(["0.0.0.0", "::", "::0", "[::]", ""]);
const isWildcard = (host) => host === undefined || host === null || WILDCARDS.has(host);
const isPort = (value) => typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value));

const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(...args) {
  if (args.length === 0 || typeof args[0] === "function") args.unshift(0); // listen([callback]): any port
  const [first] = args;
  if (first !== null && typeof first === "object" && !Array.isArray(first)) {
    // listen(options[, callback]); options with `path` or a handle are not TCP ports.
    if (first.path === undefined && first.handle === undefined && first._handle === undefined && first.fd === undefined) {
      if (isWildcard(first.host)) args[0] = { ...first, host: LOOPBACK };
    }
  } else if (isPort(first)) {
    // listen([port[, host[, backlog]]][, callback])
    if (typeof args[1] === "string") {
      if (isWildcard(args[1])) args[1] = LOOPBACK;
    } else {
      args.splice(1, 0, LOOPBACK);
    }
  }
  return originalListen.apply(this, args);
};
