#!/usr/bin/env node
// Prepare (not sign) a sponsored UserOperation for a LykosAccount with viem's ERC-7677 paymaster client.
//
// What it proves: a standard ERC-7677 client — viem's `createPaymasterClient` plugged into a bundler client, as any
// dapp using viem or permissionless would do — can be sponsored by our paymaster endpoint. viem itself calls
// `pm_getPaymasterStubData` (dummy paymasterData, for estimation) and then `pm_getPaymasterData` (the signed
// paymasterData over the estimated op) on the endpoint, and estimates gas with the bundler in between.
//
// Our account signs with a passkey (WebAuthn), which viem's built-in accounts cannot do, so the script defines a
// minimal `toSmartAccount` for LykosAccount (ERC-7821 batch calldata, nonce key 0, the caller's factory args, the
// caller's dummy signature as stub signature) and prints the prepared op WITHOUT signing it: whoever holds the
// passkey computes the userOpHash, signs, and sends the op to the bundler.
//
// Usage:  node contracts/erc7677_client.mjs '<json>'      (or the JSON on stdin, or in the env ERC7677_INPUT)
// Input JSON:
//   rpcUrl                node JSON-RPC (nonce, code, chain)            bundlerUrl   bundler JSON-RPC
//   paymasterUrl          ERC-7677 endpoint, e.g. https://host/rpc/paymaster
//   paymasterHeaders      optional HTTP headers for the endpoint, e.g. {"X-Api-Key": "..."} (ours takes keys only there)
//   chainId               number                                       entryPoint   EntryPoint v0.8 address
//   account               the LykosAccount address (counterfactual is fine)
//   factory, factoryData  optional; used only while the account has no code
//   calls                 [{to, value?, data?}] (value: decimal or 0x-hex string, or number)
//   dummySignature        a well-formed account signature of the real size (userops.dummy_account_signature)
//   paymasterContext      optional object passed as the ERC-7677 context (e.g. {"policyId": "..."})
//   verificationGasMargin optional gas added to the bundler's verificationGasLimit estimate (the estimate misses the
//                         P-256 check, see docs/contracts.md); default 0
// Output (stdout): one JSON object, the v0.7/v0.8 unpacked UserOperation with every number as 0x-hex:
//   sender, nonce, [factory, factoryData], callData, callGasLimit, verificationGasLimit, preVerificationGas,
//   maxFeePerGas, maxPriorityFeePerGas, paymaster, paymasterVerificationGasLimit, paymasterPostOpGasLimit,
//   paymasterData, signature (the dummy one).
// Errors: exit code 1 and `{"error": "<viem's summary>", "details": "<the server's message>", "code": <JSON-RPC code>}`
// on stderr.

import { readFileSync } from "node:fs";
import { createPublicClient, defineChain, encodeAbiParameters, encodeFunctionData, http, toHex } from "viem";
import {
  createBundlerClient,
  createPaymasterClient,
  entryPoint08Abi,
  formatUserOperationRequest,
  toSmartAccount,
} from "viem/account-abstraction";

// ERC-7821 batch mode: call type batch (0x01), revert on failure, no selector, no opData (userops.ERC7821_BATCH_MODE).
const BATCH_MODE = "0x0100000000000000000000000000000000000000000000000000000000000000";
const EXECUTE_ABI = [
  {
    type: "function",
    name: "execute",
    stateMutability: "payable",
    inputs: [
      { name: "mode", type: "bytes32" },
      { name: "executionData", type: "bytes" },
    ],
    outputs: [],
  },
];

function readInput() {
  if (process.argv[2]) return JSON.parse(process.argv[2]);
  if (process.env.ERC7677_INPUT) return JSON.parse(process.env.ERC7677_INPUT);
  return JSON.parse(readFileSync(0, "utf8"));
}

function required(input, name) {
  if (input[name] === undefined || input[name] === null || input[name] === "") throw new Error(`missing ${name}`);
  return input[name];
}

function encodeCalls(calls) {
  const executions = calls.map((c) => [c.to, BigInt(c.value ?? 0), c.data ?? "0x"]);
  const executionData = encodeAbiParameters(
    [
      {
        type: "tuple[]",
        components: [
          { name: "target", type: "address" },
          { name: "value", type: "uint256" },
          { name: "data", type: "bytes" },
        ],
      },
    ],
    [executions],
  );
  return encodeFunctionData({ abi: EXECUTE_ABI, functionName: "execute", args: [BATCH_MODE, executionData] });
}

function toJson(op) {
  const out = {};
  for (const [key, value] of Object.entries(op)) {
    if (value === undefined) continue;
    out[key] = typeof value === "bigint" ? toHex(value) : value;
  }
  return out;
}

async function main() {
  const input = readInput();
  const rpcUrl = required(input, "rpcUrl");
  const bundlerUrl = required(input, "bundlerUrl");
  const paymasterUrl = required(input, "paymasterUrl");
  const chainId = Number(required(input, "chainId"));
  const entryPointAddress = required(input, "entryPoint");
  const address = required(input, "account");
  const dummySignature = required(input, "dummySignature");
  const calls = required(input, "calls");
  const margin = BigInt(input.verificationGasMargin ?? 0);

  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const client = createPublicClient({ chain, transport: http(rpcUrl) });
  const paymasterClient = createPaymasterClient({
    transport: http(paymasterUrl, { fetchOptions: { headers: input.paymasterHeaders ?? {} } }),
  });

  // Fees from the bundler: alto accepts ops priced below what it will ever bundle, so take its own price.
  const bundlerFees = async () => {
    const { fast } = await bundlerClient.request({ method: "pimlico_getUserOperationGasPrice", params: [] });
    return { maxFeePerGas: BigInt(fast.maxFeePerGas), maxPriorityFeePerGas: BigInt(fast.maxPriorityFeePerGas) };
  };

  const bundlerClient = createBundlerClient({
    client,
    chain,
    transport: http(bundlerUrl),
    paymaster: paymasterClient,
    paymasterContext: input.paymasterContext,
    userOperation: { estimateFeesPerGas: bundlerFees },
  });

  const account = await toSmartAccount({
    client,
    entryPoint: { abi: entryPoint08Abi, address: entryPointAddress, version: "0.8" },
    async getAddress() {
      return address;
    },
    async encodeCalls(calls_) {
      return encodeCalls(calls_);
    },
    async getFactoryArgs() {
      // toSmartAccount returns no factory args once the account has code.
      return { factory: input.factory, factoryData: input.factoryData };
    },
    async getNonce() {
      // Nonce key 0, like the backend (viem's default key is a timestamp).
      return client.readContract({
        abi: entryPoint08Abi,
        address: entryPointAddress,
        functionName: "getNonce",
        args: [address, 0n],
      });
    },
    async getStubSignature() {
      return dummySignature;
    },
    async signMessage() {
      throw new Error("this script does not sign: the passkey holder does");
    },
    async signTypedData() {
      throw new Error("this script does not sign: the passkey holder does");
    },
    async signUserOperation() {
      throw new Error("this script does not sign: the passkey holder does");
    },
    userOperation: {
      // Runs after pm_getPaymasterStubData: estimate with the stub paymaster fields, then add the margin the dummy
      // passkey signature needs. The paymaster gas limits come from the stub (the endpoint signs over them).
      async estimateGas(userOperation) {
        const request = formatUserOperationRequest({
          callGasLimit: 0n,
          verificationGasLimit: 0n,
          preVerificationGas: 0n,
          ...userOperation,
        });
        const gas = await bundlerClient.request({
          method: "eth_estimateUserOperationGas",
          params: [request, entryPointAddress],
        });
        const result = {
          callGasLimit: BigInt(gas.callGasLimit),
          preVerificationGas: BigInt(gas.preVerificationGas),
          verificationGasLimit: BigInt(gas.verificationGasLimit) + margin,
        };
        if (userOperation.paymaster && userOperation.paymasterVerificationGasLimit === undefined)
          result.paymasterVerificationGasLimit = BigInt(gas.paymasterVerificationGasLimit ?? 0);
        if (userOperation.paymaster && userOperation.paymasterPostOpGasLimit === undefined)
          result.paymasterPostOpGasLimit = BigInt(gas.paymasterPostOpGasLimit ?? 0);
        return result;
      },
    },
  });

  const prepared = await bundlerClient.prepareUserOperation({
    account,
    calls: calls.map((c) => ({ to: c.to, value: BigInt(c.value ?? 0), data: c.data ?? "0x" })),
    paymasterContext: input.paymasterContext,
  });
  const { account: _account, ...op } = prepared;
  process.stdout.write(JSON.stringify(toJson(op)) + "\n");
}

main().catch((error) => {
  // viem errors: shortMessage is generic ("Invalid parameters were provided..."), details is the server's message.
  const cause = error?.walk ? error.walk((e) => e?.code !== undefined) : undefined;
  const report = {
    error: error?.shortMessage ?? error?.message ?? String(error),
    details: error?.details,
    code: cause?.code ?? error?.code,
  };
  process.stderr.write(JSON.stringify(report) + "\n");
  process.exit(1);
});
