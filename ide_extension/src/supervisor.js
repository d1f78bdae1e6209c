'use strict';
// The workspace's supervisor as the extension host reaches it: plain HTTP on 127.0.0.1:<port> inside the
// container (it listens on 0.0.0.0 there), one request per connection, as supervisor/http.py expects.
// The supervisor starts code-server with BERTH_SUPERVISOR_PORT (and BERTH_SUPERVISOR_TOKEN when its endpoint
// needs one) in its environment, which the extension host inherits: nothing on a command line.

const http = require('http');

const HOST = '127.0.0.1';
const TIMEOUT_MS = 10000;

class SupervisorError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

class Supervisor {
  constructor(port, token) {
    this.port = port;
    this.token = token;
  }

  headers(extra) {
    const headers = { ...extra };
    if (this.token) {
      headers.Authorization = `Bearer ${this.token}`;
    }
    return headers;
  }

  /** GET /_berth/terminals: [{index, name, phase, rows, cols, pid, open, attached}]. */
  listTerminals() {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: HOST, port: this.port, method: 'GET', path: '/_berth/terminals', headers: this.headers(),
          agent: false, timeout: TIMEOUT_MS },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 200) {
              reject(new SupervisorError(`the supervisor answered ${response.statusCode}: ${body.trim()}`,
                response.statusCode));
              return;
            }
            try {
              resolve(JSON.parse(body));
            } catch (error) {
              reject(new SupervisorError(`the supervisor's terminal list is not JSON: ${error.message}`));
            }
          });
        },
      );
      request.on('timeout', () => request.destroy(new SupervisorError('the supervisor did not answer in time')));
      request.on('error', reject);
      request.end();
    });
  }

  /**
   * POST /_berth/terminals/<index>/attach, upgraded: resolves with {socket, head} (head: bytes that came
   * with the answer, already frames). Closing the socket only detaches: the task keeps running.
   */
  attach(index) {
    return new Promise((resolve, reject) => {
      const request = http.request({
        host: HOST,
        port: this.port,
        method: 'POST',
        path: `/_berth/terminals/${index}/attach`,
        // An explicit empty body: the supervisor takes no chunked requests.
        headers: this.headers({ Connection: 'Upgrade', Upgrade: 'berth-exec', 'Content-Length': '0' }),
        agent: false,
        timeout: TIMEOUT_MS,
      });
      request.on('upgrade', (response, socket, head) => {
        request.setTimeout(0);
        socket.setTimeout(0);
        socket.setNoDelay(true);
        resolve({ socket, head });
      });
      request.on('response', (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => reject(new SupervisorError(
          `the supervisor answered ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8').trim()}`,
          response.statusCode)));
      });
      request.on('timeout', () => request.destroy(new SupervisorError('the supervisor did not answer in time')));
      request.on('error', reject);
      request.end();
    });
  }
}

/** The supervisor named by the environment, or null outside a Berth workspace. */
function supervisorFromEnvironment(env) {
  const port = Number(env.BERTH_SUPERVISOR_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return null;
  }
  return new Supervisor(port, env.BERTH_SUPERVISOR_TOKEN || null);
}

module.exports = { Supervisor, SupervisorError, supervisorFromEnvironment };
