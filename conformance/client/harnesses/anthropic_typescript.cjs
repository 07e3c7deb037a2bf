// drun-conformance harness for the TypeScript SDK (npm @anthropic-ai/sdk), protocol 1 (spec/harness/).
//
// One small loop: read a command line from stdin, dispatch cmd<Name>, write one answer line.
// Run with node; NODE_PATH points at the SDK installed in drun-conformance's cache. Retries off.
'use strict';
const readline = require('node:readline');

let Anthropic = null;
const clients = new Map();

function cmdStart() {
  let version;
  try {
    const sdk = require('@anthropic-ai/sdk');
    Anthropic = sdk.default || sdk.Anthropic || sdk;
    version = require('@anthropic-ai/sdk/version').VERSION;
  } catch (error) {
    return { ok: false, message: `cannot load @anthropic-ai/sdk: ${error.message}` };
  }
  const probe = new Anthropic({ apiKey: 'probe', baseURL: 'http://127.0.0.1:9' });
  if (typeof probe.beta?.deployments?.run !== 'function') {
    return { ok: false, message: `@anthropic-ai/sdk ${version} has no client.beta.deployments.run` };
  }
  return { ok: true, implementation: { name: '@anthropic-ai/sdk', version, language: 'typescript' } };
}

function client(baseURL, apiKey) {
  const key = `${baseURL}\n${apiKey}`;
  if (!clients.has(key)) clients.set(key, new Anthropic({ apiKey, baseURL, maxRetries: 0 }));
  return clients.get(key);
}

async function cmdRun(command) {
  const { seq } = command;
  const params = command.betas === null ? {} : { betas: command.betas };
  try {
    const run = await client(command.base_url, command.api_key).beta.deployments.run(command.deployment_id, params);
    // The SDK's object is the parsed JSON itself: written back as it holds it.
    return { seq, outcome: 'ok', run };
  } catch (error) {
    if (error instanceof Anthropic.APIError && typeof error.status === 'number') {
      const envelope = error.error && typeof error.error === 'object' ? error.error.error : undefined;
      return {
        seq,
        outcome: 'api_error',
        status: error.status,
        error_type: typeof envelope?.type === 'string' ? envelope.type : null,
        message: typeof envelope?.message === 'string' ? envelope.message : null,
        request_id: error.requestID ?? null,
      };
    }
    return { seq, outcome: 'client_error', message: `${error?.name}: ${error?.message}` };
  }
}

const commands = { start: cmdStart, run: cmdRun };

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const command = JSON.parse(line);
    if (command.cmd === 'stop') break;
    const answer = await commands[command.cmd](command);
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
  process.exit(0);
}

main();
