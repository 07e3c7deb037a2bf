// drun-conformance harness for the TypeScript SDK (npm @anthropic-ai/sdk), protocol 1 (spec/harness/):
// run, retrieve (`client.beta.deploymentRuns.retrieve`) and list (`for await` over
// `client.beta.deploymentRuns.list(params)`, which fetches each next page as the loop needs it).
//
// One small loop: read a command line from stdin, dispatch cmd<Name>, write one answer line.
// Run with node; NODE_PATH points at the SDK installed in drun-conformance's cache. Retries off.
//
// The run is read as the SDK's documentation shows users reading it, property by property
// (`run.agent.version`, `run.error.message`), and written back as JSON with the name of each
// value's type (`types`); a property that throws is written as "<unreadable: ...>". An HTTP
// error names the class of the error thrown (`exception`).
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

function cmdRun(command) {
  const params = command.betas === null ? {} : { betas: command.betas };
  const sdk = client(command.base_url, command.api_key);
  return answerCall(command, async () => readOne(await sdk.beta.deployments.run(command.deployment_id, params)));
}

function cmdRetrieve(command) {
  const runs = client(command.base_url, command.api_key).beta.deploymentRuns;
  if (typeof runs?.retrieve !== 'function') return { seq: command.seq, ok: false, unsupported: true };
  const params = command.betas === null ? {} : { betas: command.betas };
  return answerCall(command, async () => readOne(await runs.retrieve(command.run_id, params)));
}

function cmdList(command) {
  const runs = client(command.base_url, command.api_key).beta.deploymentRuns;
  if (typeof runs?.list !== 'function') return { seq: command.seq, ok: false, unsupported: true };
  // The filters are named as the API names them, timestamps as the strings the SDK declares.
  const params = command.betas === null ? { ...command.filters } : { ...command.filters, betas: command.betas };
  return answerCall(command, async () => {
    const read = [];
    for await (const run of runs.list(params)) read.push(readOne(run));
    return { runs: read };
  });
}

function readOne(run) {
  const types = {};
  return { run: readRun(run, types), types };
}

async function answerCall(command, call) {
  const { seq } = command;
  try {
    return { seq, outcome: 'ok', ...(await call()) };
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
        exception: typeName(error),
      };
    }
    return { seq, outcome: 'client_error', message: `${error?.name}: ${error?.message}` };
  }
}

// --- the run, read as users read it ---------------------------------------------------------

// The properties read on each object: the run's, then its members' (the error's and the
// trigger's only where the object the SDK holds has them: a manual trigger has no scheduled_at).
const FIELDS = ['id', 'type', 'agent', 'created_at', 'deployment_id', 'session_id', 'error', 'trigger_context'];
const MEMBERS = { agent: ['id', 'type', 'version'], error: ['type', 'message'], trigger_context: ['type', 'scheduled_at'] };
const OPTIONAL = new Set(['scheduled_at']);
const UNREADABLE = '<unreadable>';

function readRun(run, types) {
  types[''] = typeName(run);
  return readObject(run, '', FIELDS, types);
}

function readObject(holder, pointer, names, types) {
  const written = {};
  for (const name of names) {
    if (OPTIONAL.has(name) && !has(holder, name)) continue;
    const at = `${pointer}/${name}`;
    let value = read(at, () => holder[name], types);
    if (name in MEMBERS && ![null, 'undefined', UNREADABLE].includes(types[at])) {
      value = readObject(value, at, MEMBERS[name], types);
    }
    written[name] = plain(value);
  }
  return written;
}

function read(pointer, get, types) {
  let value;
  try {
    value = get();
  } catch (error) {
    types[pointer] = UNREADABLE;
    return `<unreadable: ${error?.name}: ${error?.message}>`;
  }
  types[pointer] = typeName(value);
  return value;
}

function has(holder, name) {
  try {
    return holder !== null && typeof holder === 'object' && name in holder;
  } catch (error) {
    return true; // there, but reading it throws: read() writes it as unreadable
  }
}

// typeof for a primitive, the constructor's name for an object of a class, object for plain data;
// undefined named apart from null: its users test `=== null`, which undefined fails.
function typeName(value) {
  if (value === null) return null;
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object') return typeof value;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === null || prototype === Object.prototype) return 'object';
  return prototype.constructor?.name || 'object';
}

// A value read from the SDK as JSON: a Date as RFC 3339 (milliseconds, all it holds).
function plain(value) {
  if (value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  return value;
}

// One answer line; a bigint (an int64 read exactly) is written as the JSON integer it is.
const BIGINT = '@@drun-bigint@@';
function answerLine(answer) {
  const text = JSON.stringify(answer, (key, value) => (typeof value === 'bigint' ? `${BIGINT}${value}${BIGINT}` : value));
  return text.replace(new RegExp(`"${BIGINT}(-?\\d+)${BIGINT}"`, 'g'), '$1');
}

const commands = { start: cmdStart, run: cmdRun, retrieve: cmdRetrieve, list: cmdList };
const unsupported = (command) => ({ seq: command.seq ?? 0, ok: false, unsupported: true });

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const command = JSON.parse(line);
    if (command.cmd === 'stop') break;
    const answer = await (commands[command.cmd] ?? unsupported)(command);
    process.stdout.write(answerLine(answer) + '\n');
  }
  process.exit(0);
}

main();
