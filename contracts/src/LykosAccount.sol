// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Account} from "@openzeppelin/contracts/account/Account.sol";
import {ERC7821} from "@openzeppelin/contracts/account/extensions/draft-ERC7821.sol";
import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ERC721Holder} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Holder.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {MultiSignerERC7913} from "@openzeppelin/contracts/utils/cryptography/signers/MultiSignerERC7913.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

/// @dev The implementation contract must satisfy MultiSignerERC7913's constructor (at least one signer, threshold
/// 1) although it is never used as an account. (0, 0) is not a point on P-256, so no signature can ever match it.
function _unusableSigners(address verifier) pure returns (bytes[] memory signers) {
    signers = new bytes[](1);
    signers[0] = abi.encodePacked(verifier, bytes32(0), bytes32(0));
}

/**
 * @title LykosAccount
 * @notice ERC-4337 smart account (EntryPoint v0.8) owned by device passkeys, with guardian recovery.
 *
 * Owners are P-256 public keys checked as WebAuthn assertions. They are stored as ERC-7913 signers
 * (`webAuthnVerifier ‖ x ‖ y`) in OpenZeppelin's MultiSignerERC7913 with a threshold of 1: any one device
 * signs. A UserOperation signature is MultiSignerERC7913's `abi.encode(bytes[] signers, bytes[] signatures)`
 * with one signer and its WebAuthn assertion `abi.encode(r, s, challengeIndex, typeIndex, authenticatorData,
 * clientDataJSON)` whose challenge is base64url(userOpHash).
 *
 * Guardians (ERC-7913 signers: a 20-byte address for an EOA or an ERC-1271 contract, or verifier ‖ key) approve a
 * recovery with EIP-712 signatures over this account's domain and its recovery nonce. A recovery waits a security
 * delay during which any owner can cancel it. Changing guardians, threshold or delay waits the same delay.
 *
 * One owner signature may also authorise a set of UserOperations at once (the same owner change on every chain):
 * it signs the Merkle root of their userOpHashes, and each operation carries its proof (see `_validateUserOp`).
 *
 * The contract is deployed once as an implementation and used through ERC-1167 clones made by
 * LykosAccountFactory, which initializes each clone in the deploying transaction.
 */
contract LykosAccount is
    Account,
    EIP712,
    MultiSignerERC7913,
    ERC7821,
    ERC721Holder,
    ERC1155Holder,
    IERC1271,
    Initializable
{
    using EnumerableSet for EnumerableSet.BytesSet;

    struct PublicKey {
        bytes32 x;
        bytes32 y;
    }

    struct PendingGuardianConfig {
        bytes[] guardians;
        uint64 threshold;
        uint48 securityDelay;
        uint48 applicableAt; // 0 = nothing pending
    }

    struct PendingRecovery {
        bytes32 newOwnersHash; // EIP-712 hash of the PublicKey[] array
        uint48 executeAfter; // 0 = nothing scheduled
    }

    /// @notice EIP-712 type a guardian signs to approve replacing all owners.
    bytes32 public constant RECOVERY_TYPEHASH =
        keccak256("Recovery(PublicKey[] newOwners,uint256 nonce,uint48 validUntil)PublicKey(bytes32 x,bytes32 y)");
    bytes32 public constant PUBLIC_KEY_TYPEHASH = keccak256("PublicKey(bytes32 x,bytes32 y)");
    /// @notice ERC-1271 wraps the caller's hash in this type so an owner signature is bound to one account and chain.
    bytes32 public constant MESSAGE_TYPEHASH = keccak256("LykosMessage(bytes32 hash)");

    /// @notice First bytes of a UserOperation signature over a Merkle root of userOpHashes (one passkey touch for an
    /// owner change on every chain): `MULTI_OP_SIGNATURE ‖ uint8 n ‖ bytes32[n] proof ‖ owner signature`. An ordinary
    /// signature (`abi.encode(bytes[], bytes[])`) starts with a zero word, so the two formats cannot be confused.
    bytes4 public constant MULTI_OP_SIGNATURE = 0x4c594b4d; // "LYKM"
    /// @notice A proof deeper than this would be a tree of more operations than there are chains to send them to.
    uint256 public constant MAX_MULTI_OP_PROOF = 8;

    /// @notice A delay shorter than this would let a guardian quorum take the account before an owner can react.
    uint48 public constant MIN_SECURITY_DELAY = 1 hours;
    uint48 public constant MAX_SECURITY_DELAY = 90 days;
    /// @notice Caps keep every loop over owners or guardians (recovery, guardian replacement) within a block.
    uint256 public constant MAX_OWNERS = 32;
    uint256 public constant MAX_GUARDIANS = 32;

    /// @notice ERC-7913 verifier for WebAuthn assertions; part of every owner's signer bytes.
    address public immutable webAuthnVerifier;

    EnumerableSet.BytesSet private _guardians;
    uint64 private _guardianThreshold;
    uint48 private _securityDelay;
    PendingGuardianConfig private _pendingGuardianConfig;
    uint256 private _recoveryNonce;
    PendingRecovery private _pendingRecovery;

    event OwnerAdded(bytes32 x, bytes32 y);
    event OwnerRemoved(bytes32 x, bytes32 y);
    event GuardianConfigProposed(bytes[] guardians, uint64 threshold, uint48 securityDelay, uint48 applicableAt);
    event GuardianConfigApplied(bytes[] guardians, uint64 threshold, uint48 securityDelay);
    event GuardianConfigCancelled();
    event RecoveryScheduled(uint256 indexed nonce, PublicKey[] newOwners, uint48 executeAfter);
    event RecoveryCancelled(uint256 indexed nonce);
    event RecoveryExecuted(uint256 indexed nonce, PublicKey[] newOwners);

    error LykosInvalidOwnerKey(bytes32 x, bytes32 y);
    error LykosDuplicateOwner(bytes32 x, bytes32 y);
    error LykosLastOwner();
    error LykosTooManyOwners();
    error LykosInvalidGuardianConfig();
    error LykosInvalidSecurityDelay(uint48 securityDelay);
    error LykosNoPendingGuardianConfig();
    error LykosGuardianConfigNotReady(uint48 applicableAt);
    error LykosRecoveryNotConfigured();
    error LykosRecoveryAlreadyScheduled();
    error LykosNoRecoveryScheduled();
    error LykosRecoveryApprovalExpired(uint48 validUntil);
    error LykosRecoverySignatureCountMismatch();
    error LykosRecoveryThresholdNotMet(uint256 approvals, uint64 threshold);
    error LykosRecoveryGuardiansNotSorted(uint256 index);
    error LykosNotAGuardian(bytes signer);
    error LykosInvalidGuardianSignature(bytes signer);
    error LykosRecoveryDelayNotElapsed(uint48 executeAfter);
    error LykosRecoveryOwnersMismatch();

    /// @dev Owner management is reachable only through `execute` from an owner-signed operation (or recovery).
    modifier onlySelf() {
        if (msg.sender != address(this)) revert AccountUnauthorized(msg.sender);
        _;
    }

    constructor(
        address verifier
    ) EIP712("LykosAccount", "1") MultiSignerERC7913(_unusableSigners(verifier), 1) {
        webAuthnVerifier = verifier;
        _disableInitializers();
    }

    /// @notice Called once by the factory in the transaction that creates the clone (no front-running window).
    function initialize(bytes32 qx, bytes32 qy) external initializer {
        _addOwner(qx, qy);
        _setThreshold(1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // ERC-4337 / ERC-7821 / ERC-1271
    // ---------------------------------------------------------------------------------------------------------

    /// @dev OpenZeppelin 5.7 defaults to EntryPoint v0.9; this account is built for v0.8 at its canonical address.
    function entryPoint() public pure override returns (IEntryPoint) {
        return ERC4337Utils.ENTRYPOINT_V08;
    }

    /// @dev `execute` runs for the EntryPoint (after validateUserOp) and for the account itself.
    function _erc7821AuthorizedExecutor(
        address caller,
        bytes32 mode,
        bytes calldata executionData
    ) internal view override returns (bool) {
        return caller == address(entryPoint()) || super._erc7821AuthorizedExecutor(caller, mode, executionData);
    }

    /**
     * @dev A multi-operation signature is checked against the root of its proof (OpenZeppelin's commutative
     * keccak256 Merkle tree, as `MerkleProof` builds it) with the userOpHash as the leaf. Every leaf is an EIP-712
     * userOpHash, bound to its chain, EntryPoint, account and nonce, so the root authorises exactly the operations
     * the owner was shown and each of them lands at most once. Only UserOperations take this form: ERC-1271 stays
     * one signature per message.
     */
    function _validateUserOp(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash,
        bytes calldata signature
    ) internal override returns (uint256) {
        if (signature.length < 5 || bytes4(signature[:4]) != MULTI_OP_SIGNATURE) {
            return super._validateUserOp(userOp, userOpHash, signature);
        }
        uint256 depth = uint8(signature[4]);
        uint256 start = 5 + 32 * depth;
        if (depth > MAX_MULTI_OP_PROOF || signature.length < start) return ERC4337Utils.SIG_VALIDATION_FAILED;
        bytes32 root = userOpHash;
        for (uint256 i = 0; i < depth; ++i) {
            root = Hashes.commutativeKeccak256(root, bytes32(signature[5 + 32 * i:37 + 32 * i]));
        }
        return
            _rawSignatureValidation(root, signature[start:])
                ? ERC4337Utils.SIG_VALIDATION_SUCCESS
                : ERC4337Utils.SIG_VALIDATION_FAILED;
    }

    /// @notice Hash an owner signs for ERC-1271: the caller's hash bound to this account and chain (EIP-712),
    /// so one passkey that owns several accounts cannot have its signature replayed from one to another.
    function replaySafeHash(bytes32 hash) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(MESSAGE_TYPEHASH, hash)));
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) public view override returns (bytes4) {
        return
            _rawSignatureValidation(replaySafeHash(hash), signature)
                ? IERC1271.isValidSignature.selector
                : bytes4(0xffffffff);
    }

    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return
            interfaceId == type(IERC1271).interfaceId ||
            interfaceId == type(IERC721Receiver).interfaceId ||
            super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Owners (device passkeys)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice ERC-7913 signer bytes of a passkey owner, as they appear in a UserOperation signature.
    function ownerSigner(bytes32 qx, bytes32 qy) public view returns (bytes memory) {
        return abi.encodePacked(webAuthnVerifier, qx, qy);
    }

    function isOwner(bytes32 qx, bytes32 qy) public view returns (bool) {
        return isSigner(ownerSigner(qx, qy));
    }

    function owners() external view returns (PublicKey[] memory keys) {
        bytes[] memory signers = getSigners(0, type(uint64).max);
        keys = new PublicKey[](signers.length);
        for (uint256 i = 0; i < signers.length; ++i) {
            keys[i] = _keyOf(signers[i]);
        }
    }

    function addOwner(bytes32 qx, bytes32 qy) external onlySelf {
        if (getSignerCount() >= MAX_OWNERS) revert LykosTooManyOwners();
        _addOwner(qx, qy);
    }

    /// @notice Refuses to remove the last owner: an account without owners could only be saved by guardians.
    function removeOwner(bytes32 qx, bytes32 qy) external onlySelf {
        if (getSignerCount() <= 1) revert LykosLastOwner();
        _removeOwner(qx, qy);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Guardians
    // ---------------------------------------------------------------------------------------------------------

    function guardians() external view returns (bytes[] memory) {
        return _guardians.values();
    }

    function isGuardian(bytes calldata signer) external view returns (bool) {
        return _guardians.contains(signer);
    }

    function guardianThreshold() external view returns (uint64) {
        return _guardianThreshold;
    }

    function securityDelay() external view returns (uint48) {
        return _securityDelay;
    }

    function pendingGuardianConfig()
        external
        view
        returns (bytes[] memory guardians_, uint64 threshold_, uint48 securityDelay_, uint48 applicableAt)
    {
        PendingGuardianConfig storage pending = _pendingGuardianConfig;
        return (pending.guardians, pending.threshold, pending.securityDelay, pending.applicableAt);
    }

    /**
     * @notice Propose a complete guardian configuration (replaces the current one). Takes effect after the current
     * security delay, so a stolen device key cannot silently swap guardians; applies at once only while the account
     * has no guardians, when there is nothing a delay would protect. A new proposal replaces a pending one.
     * An empty guardian list with threshold 0 disables recovery.
     */
    function proposeGuardianConfig(
        bytes[] calldata newGuardians,
        uint64 newThreshold,
        uint48 newSecurityDelay
    ) external onlySelf {
        _validateGuardianConfig(newGuardians, newThreshold, newSecurityDelay);
        if (_guardians.length() == 0) {
            if (_pendingGuardianConfig.applicableAt != 0) {
                delete _pendingGuardianConfig;
                emit GuardianConfigCancelled();
            }
            _setGuardianConfig(newGuardians, newThreshold, newSecurityDelay);
            return;
        }
        uint48 applicableAt = uint48(block.timestamp) + _securityDelay;
        delete _pendingGuardianConfig;
        PendingGuardianConfig storage pending = _pendingGuardianConfig;
        for (uint256 i = 0; i < newGuardians.length; ++i) {
            pending.guardians.push(newGuardians[i]);
        }
        pending.threshold = newThreshold;
        pending.securityDelay = newSecurityDelay;
        pending.applicableAt = applicableAt;
        emit GuardianConfigProposed(newGuardians, newThreshold, newSecurityDelay, applicableAt);
    }

    /// @notice Anyone may apply an owner-proposed configuration once its delay has passed.
    function applyGuardianConfig() external {
        PendingGuardianConfig storage pending = _pendingGuardianConfig;
        uint48 applicableAt = pending.applicableAt;
        if (applicableAt == 0) revert LykosNoPendingGuardianConfig();
        if (block.timestamp < applicableAt) revert LykosGuardianConfigNotReady(applicableAt);
        bytes[] memory newGuardians = pending.guardians;
        uint64 newThreshold = pending.threshold;
        uint48 newSecurityDelay = pending.securityDelay;
        delete _pendingGuardianConfig;
        _setGuardianConfig(newGuardians, newThreshold, newSecurityDelay);
    }

    function cancelGuardianConfig() external onlySelf {
        if (_pendingGuardianConfig.applicableAt == 0) revert LykosNoPendingGuardianConfig();
        delete _pendingGuardianConfig;
        emit GuardianConfigCancelled();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Recovery
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Bumped by every executed or cancelled recovery: an approval is good for one attempt only.
    function recoveryNonce() external view returns (uint256) {
        return _recoveryNonce;
    }

    function pendingRecovery() external view returns (bytes32 newOwnersHash, uint48 executeAfter) {
        return (_pendingRecovery.newOwnersHash, _pendingRecovery.executeAfter);
    }

    /// @notice EIP-712 hash of `PublicKey[] newOwners` as it appears in the Recovery struct.
    function hashOwners(PublicKey[] calldata keys) public pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](keys.length);
        for (uint256 i = 0; i < keys.length; ++i) {
            hashes[i] = keccak256(abi.encode(PUBLIC_KEY_TYPEHASH, keys[i].x, keys[i].y));
        }
        return keccak256(abi.encodePacked(hashes));
    }

    /// @notice The EIP-712 digest a guardian signs (domain "LykosAccount" / "1" / chain id / this account).
    function recoveryDigest(
        PublicKey[] calldata newOwners,
        uint256 nonce,
        uint48 validUntil
    ) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RECOVERY_TYPEHASH, hashOwners(newOwners), nonce, validUntil)));
    }

    /**
     * @notice Start a recovery approved by at least `guardianThreshold` distinct guardians. Callable by anyone (the
     * approvals are the authorization). `signers` must be sorted by keccak256 ascending, which proves they are
     * distinct without extra storage.
     */
    function scheduleRecovery(
        PublicKey[] calldata newOwners,
        uint48 validUntil,
        bytes[] calldata signers,
        bytes[] calldata signatures
    ) external {
        uint64 threshold_ = _guardianThreshold;
        if (threshold_ == 0) revert LykosRecoveryNotConfigured();
        if (_pendingRecovery.executeAfter != 0) revert LykosRecoveryAlreadyScheduled();
        if (block.timestamp > validUntil) revert LykosRecoveryApprovalExpired(validUntil);
        _validateNewOwners(newOwners);
        if (signers.length != signatures.length) revert LykosRecoverySignatureCountMismatch();
        if (signers.length < threshold_) revert LykosRecoveryThresholdNotMet(signers.length, threshold_);
        uint256 nonce = _recoveryNonce;
        bytes32 digest = recoveryDigest(newOwners, nonce, validUntil);
        bytes32 lastId;
        for (uint256 i = 0; i < signers.length; ++i) {
            bytes32 id = keccak256(signers[i]);
            if (id <= lastId) revert LykosRecoveryGuardiansNotSorted(i);
            lastId = id;
            if (!_guardians.contains(signers[i])) revert LykosNotAGuardian(signers[i]);
            if (!SignatureChecker.isValidSignatureNow(signers[i], digest, signatures[i])) {
                revert LykosInvalidGuardianSignature(signers[i]);
            }
        }
        uint48 executeAfter = uint48(block.timestamp) + _securityDelay;
        _pendingRecovery = PendingRecovery({newOwnersHash: hashOwners(newOwners), executeAfter: executeAfter});
        emit RecoveryScheduled(nonce, newOwners, executeAfter);
    }

    /// @notice An owner stops a recovery it did not ask for; the nonce moves so the same approvals cannot return.
    function cancelRecovery() external onlySelf {
        if (_pendingRecovery.executeAfter == 0) revert LykosNoRecoveryScheduled();
        uint256 nonce = _recoveryNonce++;
        delete _pendingRecovery;
        emit RecoveryCancelled(nonce);
    }

    /**
     * @notice After the delay, anyone replaces all owners with the approved keys. A pending guardian change is
     * dropped: it was proposed by the owners the recovery replaces.
     */
    function executeRecovery(PublicKey[] calldata newOwners) external {
        uint48 executeAfter = _pendingRecovery.executeAfter;
        if (executeAfter == 0) revert LykosNoRecoveryScheduled();
        if (block.timestamp < executeAfter) revert LykosRecoveryDelayNotElapsed(executeAfter);
        if (hashOwners(newOwners) != _pendingRecovery.newOwnersHash) revert LykosRecoveryOwnersMismatch();
        uint256 nonce = _recoveryNonce++;
        delete _pendingRecovery;
        if (_pendingGuardianConfig.applicableAt != 0) {
            delete _pendingGuardianConfig;
            emit GuardianConfigCancelled();
        }
        _replaceOwners(newOwners);
        emit RecoveryExecuted(nonce, newOwners);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------

    function _addOwner(bytes32 qx, bytes32 qy) private {
        if (!P256.isValidPublicKey(qx, qy)) revert LykosInvalidOwnerKey(qx, qy);
        bytes[] memory signers = new bytes[](1);
        signers[0] = ownerSigner(qx, qy);
        _addSigners(signers);
        emit OwnerAdded(qx, qy);
    }

    function _removeOwner(bytes32 qx, bytes32 qy) private {
        bytes[] memory signers = new bytes[](1);
        signers[0] = ownerSigner(qx, qy);
        _removeSigners(signers);
        emit OwnerRemoved(qx, qy);
    }

    /// @dev Adds the new keys before removing the old ones so the owner threshold of 1 stays reachable throughout.
    function _replaceOwners(PublicKey[] calldata newOwners) private {
        bytes[] memory previous = getSigners(0, type(uint64).max);
        for (uint256 i = 0; i < newOwners.length; ++i) {
            if (!isOwner(newOwners[i].x, newOwners[i].y)) _addOwner(newOwners[i].x, newOwners[i].y);
        }
        for (uint256 i = 0; i < previous.length; ++i) {
            PublicKey memory key = _keyOf(previous[i]);
            if (!_contains(newOwners, key)) _removeOwner(key.x, key.y);
        }
    }

    function _validateNewOwners(PublicKey[] calldata newOwners) private pure {
        if (newOwners.length == 0) revert LykosInvalidOwnerKey(0, 0);
        if (newOwners.length > MAX_OWNERS) revert LykosTooManyOwners();
        for (uint256 i = 0; i < newOwners.length; ++i) {
            PublicKey calldata key = newOwners[i];
            if (!P256.isValidPublicKey(key.x, key.y)) revert LykosInvalidOwnerKey(key.x, key.y);
            for (uint256 j = 0; j < i; ++j) {
                if (newOwners[j].x == key.x && newOwners[j].y == key.y) revert LykosDuplicateOwner(key.x, key.y);
            }
        }
    }

    function _validateGuardianConfig(
        bytes[] calldata newGuardians,
        uint64 newThreshold,
        uint48 newSecurityDelay
    ) private view {
        if (newGuardians.length > MAX_GUARDIANS) revert LykosInvalidGuardianConfig();
        // threshold 0 exactly when there are no guardians; otherwise reachable
        if ((newThreshold == 0) != (newGuardians.length == 0) || newThreshold > newGuardians.length) {
            revert LykosInvalidGuardianConfig();
        }
        if (newSecurityDelay < MIN_SECURITY_DELAY || newSecurityDelay > MAX_SECURITY_DELAY) {
            revert LykosInvalidSecurityDelay(newSecurityDelay);
        }
        bytes32 self = keccak256(abi.encodePacked(address(this)));
        for (uint256 i = 0; i < newGuardians.length; ++i) {
            bytes32 id = keccak256(newGuardians[i]);
            // An account guarding itself would make recovery depend on the owners being replaced.
            if (newGuardians[i].length < 20 || id == self) revert LykosInvalidGuardianConfig();
            for (uint256 j = 0; j < i; ++j) {
                if (keccak256(newGuardians[j]) == id) revert LykosInvalidGuardianConfig();
            }
        }
    }

    function _setGuardianConfig(bytes[] memory newGuardians, uint64 newThreshold, uint48 newSecurityDelay) private {
        _guardians.clear();
        for (uint256 i = 0; i < newGuardians.length; ++i) {
            _guardians.add(newGuardians[i]); // distinct: checked by _validateGuardianConfig
        }
        _guardianThreshold = newThreshold;
        _securityDelay = newSecurityDelay;
        emit GuardianConfigApplied(newGuardians, newThreshold, newSecurityDelay);
    }

    function _keyOf(bytes memory signer) private pure returns (PublicKey memory key) {
        bytes32 x;
        bytes32 y;
        assembly ("memory-safe") {
            x := mload(add(signer, 52)) // 32 (length) + 20 (verifier address)
            y := mload(add(signer, 84))
        }
        key = PublicKey(x, y);
    }

    function _contains(PublicKey[] calldata keys, PublicKey memory key) private pure returns (bool) {
        for (uint256 i = 0; i < keys.length; ++i) {
            if (keys[i].x == key.x && keys[i].y == key.y) return true;
        }
        return false;
    }
}
