// The devices page: list the passkeys with their status (and where each is an on-chain owner), add one, revoke one.
// One WebAuthn ceremony per click: Safari only lets a page call WebAuthn inside a user gesture, so adding a passkey
// is "confirm it is you" (step-up with this device) and then "create the new passkey" (the new authenticator), and
// making it an owner on a chain is one more touch of this device. Revoking is one ceremony: the assertion is the
// step-up and signs the device's removal on every chain; the row shows `revoking` until the node says it landed.
// The access token comes from the login page (sessionStorage); helpers are in webauthn-json.js.
"use strict";

const POLL_MS = 1000;
const FINAL = new Set(["included", "failed", "dropped", "expired"]);
let addCeremony = null; // the stepped-up `devices/options` answer, waiting for the "create" click
let pollTimer = null;
let loading = 0; // a newer load() wins over an older one still in flight
let revoking = new Set(); // ids shown as revoking by the last load, to say when one is gone

function token() {
  return sessionStorage.getItem("lykos.access_token");
}

function get(path) {
  return api(path, undefined, token(), "GET");
}

function setStatus(state, text) {
  const status = document.getElementById("status");
  status.dataset.state = state;
  status.textContent = text;
}

function showError(error) {
  setStatus("error", `${error.code ? error.code + ": " : ""}${error.message}`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function currentDeviceId() {
  const sessions = await get("/api/v1/sessions");
  const current = sessions.find((session) => session.current);
  return current ? String(current.device) : null;
}

// A revoked device stays on the page while some chain still lists it as an owner (`revoking`); once the removal
// has landed everywhere it is gone from the list.
async function rowsOf(devices) {
  const rows = [];
  for (const device of devices) {
    if (device.status !== "revoked") {
      rows.push({ device, status: device.status, pending: [] });
      continue;
    }
    const revocation = await get(`/api/v1/devices/${device.id}/revocation`);
    if (revocation.status === "revoking") rows.push({ device, status: "revoking", pending: revocation.chains_pending });
  }
  return rows;
}

function chainCell(row, accounts, current) {
  const cell = document.createDocumentFragment();
  const id = String(row.device.id);
  for (const account of accounts) {
    const owner = account.owners.map(String).includes(id);
    if (row.status === "revoking") {
      if (!row.pending.includes(account.chain_id)) continue;
      const note = document.createElement("span");
      note.className = "chain pending";
      note.textContent = `still an owner on ${account.chain_name}`;
      cell.appendChild(note);
    } else if (owner) {
      const note = document.createElement("span");
      note.className = "chain owner";
      note.dataset.chainId = account.chain_id;
      note.textContent = `owner on ${account.chain_name}`;
      cell.appendChild(note);
    } else if (row.status === "active" && current && account.owners.map(String).includes(current)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "approve-button";
      button.dataset.chainId = account.chain_id;
      button.textContent = `Make it an owner on ${account.chain_name}`;
      cell.appendChild(button);
    }
  }
  return cell;
}

function render(rows, accounts, current) {
  const list = document.getElementById("devices");
  const template = document.getElementById("device-row");
  list.replaceChildren();
  for (const row of rows) {
    const item = template.content.firstElementChild.cloneNode(true);
    item.dataset.deviceId = row.device.id;
    item.dataset.status = row.status;
    item.querySelector(".device-name").textContent = row.device.name || "Passkey";
    item.querySelector(".device-status").textContent = row.status;
    const added = new Date(row.device.created_at).toLocaleString();
    item.querySelector(".device-detail").textContent =
      String(row.device.id) === current ? `this device · added ${added}` : `added ${added}`;
    item.querySelector(".device-chains").appendChild(chainCell(row, accounts, current));
    // This device cannot revoke itself here (it signs the revocation), nor revoke one already on its way out.
    item.querySelector(".revoke-button").hidden = String(row.device.id) === current || row.status !== "active";
    list.appendChild(item);
  }
}

async function load() {
  const generation = ++loading;
  clearTimeout(pollTimer);
  const [devices, accounts, current] = await Promise.all([
    get("/api/v1/devices"),
    get("/api/v1/accounts"),
    currentDeviceId(),
  ]);
  const rows = await rowsOf(devices);
  if (generation !== loading) return;
  render(rows, accounts, current);
  const now = new Set(rows.filter((row) => row.status === "revoking").map((row) => String(row.device.id)));
  const gone = [...revoking].filter((id) => !now.has(id) && !rows.some((row) => String(row.device.id) === id));
  revoking = now;
  if (gone.length) setStatus("removed", "The revoked passkey is no longer an owner on any chain.");
  if (now.size) pollTimer = setTimeout(() => load().catch(showError), POLL_MS);
}

async function confirmAdd() {
  setStatus("working", "Confirm it is you with this device's passkey…");
  try {
    const begun = await api("/api/v1/step-up/options", { action: "passkey_add", params: {} }, token());
    const assertion = await navigator.credentials.get({ publicKey: requestOptions(begun.public_key) });
    const grant = await api(
      "/api/v1/step-up/verify",
      { ceremony_id: begun.ceremony_id, credential: credentialJSON(assertion) },
      token(),
    );
    addCeremony = await api("/api/v1/devices/options", undefined, token(), "POST", { "X-Step-Up": grant.step_up_token });
    document.getElementById("add-button").hidden = true;
    document.getElementById("create-button").hidden = false;
    setStatus("confirmed", "Confirmed. Now create the new passkey on the new device or security key.");
  } catch (error) {
    showError(error);
  }
}

async function createPasskey() {
  setStatus("working", "Creating the new passkey…");
  try {
    const credential = await navigator.credentials.create({ publicKey: creationOptions(addCeremony.publicKey) });
    const device = await api(
      "/api/v1/devices/verify",
      {
        ceremony_id: addCeremony.ceremony_id,
        credential: credentialJSON(credential),
        device_name: document.getElementById("device-name").value.trim() || "Passkey",
      },
      token(),
    );
    setStatus("added", `Added ${device.name}. Make it an owner of your account with this device.`);
    await load();
  } catch (error) {
    showError(error);
  } finally {
    addCeremony = null;
    document.getElementById("add-button").hidden = false;
    document.getElementById("create-button").hidden = true;
  }
}

// This device signs the operation that adds the new passkey as an owner of the account on one chain.
async function approveOwner(deviceId, chainId) {
  setStatus("working", "Approve the new owner with this device's passkey…");
  try {
    const prepared = await api(`/api/v1/devices/${deviceId}/owner-change`, { chain_id: chainId, action: "add" }, token());
    const assertion = await navigator.credentials.get({ publicKey: requestOptions(prepared.publicKey) });
    let tx = await api(`/api/v1/transactions/${prepared.id}/sign`, { credential: credentialJSON(assertion) }, token());
    setStatus("submitted", "Sent. Waiting for it to land…");
    while (!FINAL.has(tx.status)) {
      await sleep(500);
      tx = await get(`/api/v1/transactions/${prepared.id}`);
    }
    if (tx.status === "included" && tx.success !== false) setStatus("owner-added", "It is now an owner on-chain.");
    else setStatus("error", `Not added: ${tx.status} ${tx.revert_reason || ""}`);
    await load();
  } catch (error) {
    showError(error);
  }
}

function showRevoking(deviceId, chainsPending) {
  const item = document.querySelector(`li[data-device-id="${CSS.escape(deviceId)}"]`);
  if (!item) return;
  loading += 1; // a load still in flight read the device before it was revoked
  item.dataset.status = "revoking";
  item.querySelector(".device-status").textContent = "revoking";
  item.querySelector(".device-chains").textContent = `still an owner on ${chainsPending.length} chain(s)`;
  item.querySelector(".revoke-button").hidden = true;
  revoking.add(String(deviceId));
}

async function revoke(deviceId) {
  setStatus("working", "Confirm the revocation with this device's passkey…");
  try {
    const begun = await api(`/api/v1/devices/${deviceId}/revoke/options`, undefined, token());
    const assertion = await navigator.credentials.get({ publicKey: requestOptions(begun.public_key) });
    const revocation = await api(
      `/api/v1/devices/${deviceId}/revoke`,
      { ceremony_id: begun.ceremony_id, credential: credentialJSON(assertion) },
      token(),
    );
    if (revocation.status === "revoking") {
      // Show the server's answer at once: the removal may land before the next poll, and the person should see
      // that the device is on its way out (not yet off every chain) rather than have it vanish unexplained.
      showRevoking(deviceId, revocation.chains_pending);
      setStatus("revoking", "Revoked: its sessions are over. Removing it from your account on-chain…");
      clearTimeout(pollTimer);
      pollTimer = setTimeout(() => load().catch(showError), POLL_MS);
    } else {
      setStatus("revoked", "Revoked: its sessions are over.");
      await load();
    }
  } catch (error) {
    showError(error);
  }
}

function onListClick(event) {
  const button = event.target.closest("button");
  const item = button && button.closest("li[data-device-id]");
  if (!item) return;
  if (button.classList.contains("revoke-button")) revoke(item.dataset.deviceId);
  if (button.classList.contains("approve-button")) approveOwner(item.dataset.deviceId, Number(button.dataset.chainId));
}

document.addEventListener("DOMContentLoaded", () => {
  if (!token()) {
    setStatus("error", "Log in first.");
    return;
  }
  if (!window.PublicKeyCredential) {
    setStatus("error", "This browser does not support passkeys.");
    return;
  }
  document.getElementById("devices").addEventListener("click", onListClick);
  document.getElementById("add-button").addEventListener("click", confirmAdd);
  document.getElementById("create-button").addEventListener("click", createPasskey);
  load().catch(showError);
});
