// Preload that keeps a Node program's TCP listeners on 127.0.0.1.
//
//   <node22> --import <repo>/tests/servers/loopback_only.mjs <program> ...
//
// The MCP conformance suite (@modelcontextprotocol/conformance) starts its mock MCP servers and
// mock authorization servers with `app.listen(0)`, i.e. on every interface, and reads
// `server.address().port` right after the call. This project binds everything it runs to
// 127.0.0.1 only, so this module rewrites every TCP `listen` call that names no host.
//
// Passing a host to `listen` would not do: with a host, Node binds only after an (asynchronous)
// address lookup, and the suite's synchronous `address()` would then see `null`. So the socket is
// bound here, synchronously, to 127.0.0.1 and handed to `listen` as a handle; `address()` works at
// once. If that bind fails (say EADDRINUSE), the call falls back to `listen(port, '127.0.0.1')`,
// which reports the error through the server's 'error' event as usual. Calls that name a host, Unix
// sockets and handles are left alone. The suite hands out `http://localhost:<port>` URLs; localhost
// is 127.0.0.1 here.
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
const originalListen = net.Server.prototype.listen;
// process.binding is deprecated (DEP0111, a warning only with --pending-deprecation) but is the
// one way to bind a listening socket synchronously; tcp_wrap is on its allow-list.
const { TCP, constants: tcpConstants } = process.binding('tcp_wrap');

function boundLoopbackHandle(port) {
  const handle = new TCP(tcpConstants.SERVER);
  if (handle.bind(LOOPBACK, port) !== 0) {
    handle.close();
    return null;
  }
  return handle;
}

function isPort(value) {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  let port;
  let rest;
  const [first] = args;
  if (args.length === 0 || typeof first === 'function') {
    // listen() / listen(callback): a random port.
    port = 0;
    rest = args;
  } else if (isPort(first) && typeof args[1] !== 'string') {
    // listen(port[, backlog][, callback])
    port = Number(first);
    rest = args.slice(1);
  } else if (
    first !== null &&
    typeof first === 'object' &&
    !(first instanceof TCP) &&
    first.path === undefined &&
    first.fd === undefined &&
    first.handle === undefined &&
    first._handle === undefined &&
    first.host === undefined &&
    (first.port === undefined || isPort(first.port))
  ) {
    // listen({ port, backlog, ... }[, callback])
    port = Number(first.port ?? 0);
    rest = first.backlog === undefined ? args.slice(1) : [first.backlog, ...args.slice(1)];
  } else {
    return originalListen.apply(this, args);
  }
  const handle = boundLoopbackHandle(port);
  if (handle === null) {
    return originalListen.call(this, port, LOOPBACK, ...rest);
  }
  return originalListen.call(this, handle, ...rest);
};
