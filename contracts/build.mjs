#!/usr/bin/env node
// Compile contracts/src with the pinned solc-js from node_modules and write contracts/artifacts/<Name>.json.
//
// Why this shape: the account implementation and factory are deployed through the deterministic deployment proxy,
// so their addresses are a hash of this exact bytecode. The build therefore pins the compiler (refuses any other
// solc version), uses source unit names relative to contracts/ (never absolute paths, which would leak into the
// metadata hash), reads sources in sorted order and writes artifacts with a fixed key order: the same inputs give
// byte-identical artifacts and the same addresses on every machine and chain.
//
// Usage: node contracts/build.mjs            write the artifacts (the Makefile's `make contracts`)
//        node contracts/build.mjs --check    exit 1 if the committed artifacts differ from a fresh build (CI)

import { createRequire } from "node:module";
import { readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync, existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const CONTRACTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(CONTRACTS_DIR);
const SRC_DIR = path.join(CONTRACTS_DIR, "src");
const ARTIFACTS_DIR = path.join(CONTRACTS_DIR, "artifacts");
const NODE_MODULES = path.join(ROOT, "node_modules");

const SOLC_VERSION = "0.8.37";

// Contracts from libraries that we deploy ourselves, so they need artifacts too.
const EXTERNAL_CONTRACTS = {
  "@openzeppelin/contracts/utils/cryptography/verifiers/ERC7913WebAuthnVerifier.sol": ["ERC7913WebAuthnVerifier"],
};

const SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 200 },
  viaIR: false,
  metadata: { bytecodeHash: "ipfs" },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function listSources(dir, prefix) {
  const found = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    const unit = `${prefix}/${entry}`;
    if (statSync(full).isDirectory()) found.push(...listSources(full, unit));
    else if (entry.endsWith(".sol")) found.push(unit);
  }
  return found;
}

// Source unit names: "src/..." for ours, "@openzeppelin/..." (package path) for libraries.
function resolveUnit(unit) {
  if (unit.startsWith("src/")) return path.join(CONTRACTS_DIR, unit);
  if (unit.startsWith("@openzeppelin/")) return path.join(NODE_MODULES, unit);
  return null;
}

function findImports(unit) {
  const file = resolveUnit(unit);
  if (file === null || !existsSync(file)) return { error: `import not found: ${unit}` };
  return { contents: readFileSync(file, "utf8") };
}

function main(check) {
  const solc = require(path.join(NODE_MODULES, "solc"));
  const version = solc.version();
  if (!version.startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(`solc ${SOLC_VERSION} expected (package.json pins it), found ${version}: run npm ci`);
  }

  const units = [...listSources(SRC_DIR, "src"), ...Object.keys(EXTERNAL_CONTRACTS)];
  const sources = {};
  for (const unit of units) sources[unit] = { content: readFileSync(resolveUnit(unit), "utf8") };

  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  // Show errors, and warnings about our own sources; library warnings are counted, not printed (we cannot fix them).
  const problems = output.errors || [];
  const errors = problems.filter((p) => p.severity === "error");
  const ours = (p) => p.severity === "error" || !p.sourceLocation || p.sourceLocation.file.startsWith("src/");
  for (const p of problems.filter(ours)) process.stderr.write(p.formattedMessage + "\n");
  const hidden = problems.filter((p) => !ours(p)).length;
  if (hidden) process.stderr.write(`(${hidden} warning(s) in library sources not shown)\n`);
  if (errors.length) throw new Error(`${errors.length} compilation error(s)`);

  const wanted = [];
  for (const [unit, contracts] of Object.entries(output.contracts).sort(([a], [b]) => a.localeCompare(b))) {
    const names = unit.startsWith("src/") ? Object.keys(contracts).sort() : EXTERNAL_CONTRACTS[unit] || [];
    for (const name of names) {
      const evm = contracts[name].evm;
      if (!evm.bytecode.object) continue; // interfaces, abstract contracts, libraries without code
      wanted.push({ unit, name, contract: contracts[name] });
    }
  }

  const { outputSelection, ...recordedSettings } = SETTINGS;
  const files = new Map();
  for (const { unit, name, contract } of wanted) {
    if (files.has(`${name}.json`)) throw new Error(`two contracts named ${name}: artifact names must be unique`);
    const artifact = {
      contractName: name,
      sourceName: unit,
      abi: contract.abi,
      bytecode: "0x" + contract.evm.bytecode.object,
      deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
      compiler: { version, settings: recordedSettings },
    };
    files.set(`${name}.json`, JSON.stringify(artifact, null, 2) + "\n");
    const size = contract.evm.deployedBytecode.object.length / 2;
    process.stdout.write(`${name.padEnd(28)} ${String(size).padStart(6)} bytes runtime  (${unit})\n`);
  }

  const existing = existsSync(ARTIFACTS_DIR) ? readdirSync(ARTIFACTS_DIR).filter((f) => f.endsWith(".json")) : [];
  if (check) {
    const differs = ([file, text]) => {
      const target = path.join(ARTIFACTS_DIR, file);
      return !existsSync(target) || readFileSync(target, "utf8") !== text;
    };
    const stale = [...files].filter(differs).map(([file]) => file);
    const extra = existing.filter((file) => !files.has(file));
    if (stale.length || extra.length) {
      throw new Error(`artifacts out of date (${[...stale, ...extra].join(", ")}): run node contracts/build.mjs`);
    }
    process.stdout.write("artifacts are up to date\n");
    return;
  }
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  for (const [file, text] of files) writeFileSync(path.join(ARTIFACTS_DIR, file), text);
  // Drop artifacts of contracts that no longer exist, so the directory is a pure function of the sources.
  for (const file of existing) if (!files.has(file)) rmSync(path.join(ARTIFACTS_DIR, file));
}

try {
  main(process.argv.includes("--check"));
} catch (error) {
  process.stderr.write(`contracts/build.mjs: ${error.message}\n`);
  process.exit(1);
}
