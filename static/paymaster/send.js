// The send page: prepare (build + scan + sponsorship) -> show the verdict -> passkey signs the userOpHash ->
// follow the transaction to its receipt. The access token comes from the login page (sessionStorage).
"use strict";

const FINAL = new Set(["included", "failed", "dropped", "expired"]);
let prepared = null;

function token() {
  return sessionStorage.getItem("lykos.access_token");
}

function setStatus(state, text) {
  const status = document.getElementById("status");
  status.dataset.state = state;
  status.textContent = text;
}

function showError(error) {
  setStatus("error", `${error.code ? error.code + ": " : ""}${error.message}`);
}

async function loadAccounts() {
  const accounts = await api("/api/v1/accounts", undefined, token(), "GET");
  const select = document.getElementById("chain");
  for (const account of accounts) {
    const option = document.createElement("option");
    option.value = account.chain_id;
    option.textContent = `${account.chain_name} · ${account.address}`;
    select.appendChild(option);
  }
}

async function review(event) {
  event.preventDefault();
  const form = event.currentTarget;
  setStatus("working", "Building and checking your transaction…");
  try {
    prepared = await api(
      "/api/v1/transactions",
      {
        chain_id: Number(form.elements.chain.value),
        transfer: { token: form.elements.token.value.trim(), amount: form.elements.amount.value.trim(), to: form.elements.to.value.trim() },
      },
      token(),
    );
    const warnings = document.getElementById("warnings");
    warnings.replaceChildren();
    for (const warning of prepared.verdict.warnings || []) {
      const item = document.createElement("li");
      item.textContent = `${warning.severity}: ${warning.message}`;
      warnings.appendChild(item);
    }
    document.getElementById("review-text").textContent = prepared.sponsored
      ? "Gas is on us for this one."
      : `You pay gas: at most ${prepared.max_cost_wei} wei.`;
    document.getElementById("review").hidden = false;
    setStatus("reviewing", `Risk: ${prepared.verdict.action}. Approve to send.`);
  } catch (error) {
    showError(error);
  }
}

async function confirm() {
  setStatus("working", "Waiting for your passkey…");
  try {
    const credential = await navigator.credentials.get({ publicKey: requestOptions(prepared.publicKey) });
    let tx = await api(`/api/v1/transactions/${prepared.id}/sign`, { credential: credentialJSON(credential) }, token());
    setStatus("submitted", "Sent. Waiting for it to land…");
    while (!FINAL.has(tx.status)) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      tx = await api(`/api/v1/transactions/${prepared.id}`, undefined, token(), "GET");
    }
    setStatus(tx.status, tx.status === "included" ? `Done: ${tx.tx_hash}` : `Not sent: ${tx.status} ${tx.revert_reason || ""}`);
  } catch (error) {
    showError(error);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (!token()) {
    setStatus("error", "Log in first.");
    return;
  }
  loadAccounts().catch(showError);
  document.getElementById("send-form").addEventListener("submit", review);
  document.getElementById("confirm-button").addEventListener("click", confirm);
});
