#!/usr/bin/env node
// simulate.js: run one gosim simulation from Node.js and print its headline figures.
//
//   node simulate.js [--address HOST:PORT] [--token TOKEN] [--tls-ca ca.pem]
//                    [--duration-ns N] [--json] [WORKLOAD.yaml | WORKLOAD.json]
//
// How it works: @grpc/proto-loader reads ../../proto/gosim/v1/simulator.proto (and the files it
// imports) at start-up, so there is no generated code; @grpc/grpc-js makes the channel and the
// SimulatorService client. The config is a plain JS object in the proto's shape with the
// .proto field names (keepCase), enums by name and int64s as numbers or strings: the built-in
// one below, or a workload file (JSON, or YAML as in ../../examples/, read with js-yaml). The
// reply is decoded with longs as strings, enums as names and defaults filled in.
//
// Exit codes: 0 ok; 1 the result lacks the latency or the pause histogram; 2 bad arguments or
// an unreadable file; 3 a gRPC error (its code and message are printed).

'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');

// A small web service: 2 simulated seconds at 500 requests/s on 4 Ps, GOGC=100.
const DEFAULT_CONFIG = {
  duration_ns: 2000000000,
  seed: 1,
  runtime: { gomaxprocs: 4, gogc: 100 },
  workload: {
    name: 'node-client-example',
    open_loop: { rate_per_s: 500 },
    request: {
      steps: [
        { compute: { duration_ns: { kind: 'DIST_KIND_EXPONENTIAL', mean: 200000 } } },
        {
          allocate: {
            bytes: { kind: 'DIST_KIND_CONSTANT', value: 65536 },
            object_sizes: [{ size_bytes: 512, weight: 1 }],
          },
        },
        { io_wait: { duration_ns: { kind: 'DIST_KIND_CONSTANT', value: 1000000 } } },
      ],
    },
    baseline_heap: { live_bytes: 67108864, churn_bytes_per_s: 1048576 },
  },
};

function usage(message) {
  if (message) console.error(`simulate.js: ${message}`);
  console.error('usage: node simulate.js [--address HOST:PORT] [--token TOKEN] ' +
    '[--tls-ca PEM] [--duration-ns N] [--json] [WORKLOAD.yaml|WORKLOAD.json]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    address: process.env.GOSIM_SERVER || '127.0.0.1:50051',
    token: process.env.GOSIM_TOKEN || '',
    tlsCa: '',
    durationNs: '',
    json: false,
    file: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--address' || a === '--server') opts.address = value();
    else if (a === '--token') opts.token = value();
    else if (a === '--tls-ca') opts.tlsCa = value();
    else if (a === '--duration-ns') opts.durationNs = value();
    else if (a === '--json') opts.json = true;
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (!opts.file) opts.file = a;
    else usage(`unexpected argument ${a}`);
  }
  return opts;
}

function loadConfig(file) {
  if (!file) return JSON.parse(JSON.stringify(DEFAULT_CONFIG));
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    usage(`cannot read ${file}: ${e.message}`);
  }
  try {
    if (/\.ya?ml$/i.test(file)) return require('js-yaml').load(text);
    return JSON.parse(text);
  } catch (e) {
    usage(`${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${e.message}`);
  }
  return null;
}

function loadService() {
  const definition = protoLoader.loadSync('gosim/v1/simulator.proto', {
    keepCase: true, // the .proto's field names, as in the workload files
    longs: String, // int64 values arrive as decimal strings (exact)
    enums: String, // enum values by name
    defaults: true, // zero values present in replies
    oneofs: true, // a virtual field names the member set in each oneof
    includeDirs: [PROTO_DIR],
  });
  return grpc.loadPackageDefinition(definition).gosim.v1.SimulatorService;
}

function credentials(opts) {
  const channel = opts.tlsCa
    ? grpc.credentials.createSsl(fs.readFileSync(opts.tlsCa))
    : grpc.credentials.createInsecure();
  return channel;
}

function ms(ns) {
  return `${(Number(ns) / 1e6).toFixed(2)} ms`;
}

function mib(bytes) {
  return `${(Number(bytes) / (1 << 20)).toFixed(1)} MiB`;
}

function histogramLine(name, h) {
  const counts = h.counts.map(Number);
  const nonEmpty = counts.filter((c) => c > 0).length;
  const total = counts.reduce((a, b) => a + b, 0);
  return `${name} histogram: count ${h.count}, ${nonEmpty} non-empty of ${counts.length} ` +
    `buckets (bucket total ${total}), min ${ms(h.min_ns)}, max ${ms(h.max_ns)}`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const config = loadConfig(opts.file);
  if (opts.durationNs) config.duration_ns = opts.durationNs;
  const SimulatorService = loadService();
  const client = new SimulatorService(opts.address, credentials(opts), {
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
  });
  const metadata = new grpc.Metadata();
  if (opts.token) metadata.set('authorization', `Bearer ${opts.token}`);

  client.Simulate({ config }, metadata, { deadline: Date.now() + 600 * 1000 }, (err, reply) => {
    client.close();
    if (err) {
      const code = Object.keys(grpc.status).find((k) => grpc.status[k] === err.code);
      console.error(`gosim error ${code || err.code}: ${err.details || err.message}`);
      process.exit(3);
    }
    const r = reply.result;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    } else {
      const s = r.summary;
      console.log(`gosim ${r.gosim_version} (${r.go_version} runtime model), seed ${r.seed}: ` +
        `simulated ${(Number(s.simulated_ns) / 1e9).toFixed(2)} s`);
      console.log(`requests: ${s.requests_completed} completed of ${s.requests_arrived}, ` +
        `${Number(s.throughput_per_s).toFixed(0)}/s`);
      console.log(`latency: p50 ${ms(s.latency.p50_ns)}, p99 ${ms(s.latency.p99_ns)}, ` +
        `max ${ms(s.latency.max_ns)}`);
      console.log(`GC: ${s.cycles_total} cycles (${s.cycles_heap} heap-triggered, ` +
        `${s.cycles_forced} forced), GC CPU ${(100 * s.gc_cpu_fraction).toFixed(2)} %, ` +
        `pauses p99 ${ms(s.pauses.p99_ns)}, peak heap ${mib(s.peak_heap_alloc_bytes)}` +
        (s.oom ? `, OOM-killed at ${(Number(s.oom.at_ns) / 1e9).toFixed(1)} s` : ''));
    }
    let missing = false;
    for (const [name, h] of [['latency', r.latency], ['pauses', r.pauses]]) {
      if (!h || !Array.isArray(h.counts) || h.counts.length === 0) {
        console.error(`the result has no ${name} histogram`);
        missing = true;
      } else if (!opts.json) {
        console.log(histogramLine(name, h));
      }
    }
    process.exit(missing ? 1 : 0);
  });
}

main();
