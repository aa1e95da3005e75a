// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {PaymasterSigner} from "@openzeppelin/contracts/account/paymaster/extensions/PaymasterSigner.sol";
import {Paymaster} from "@openzeppelin/contracts/account/paymaster/Paymaster.sol";
import {ERC4337Utils} from "@openzeppelin/contracts/account/utils/ERC4337Utils.sol";
import {IEntryPoint, PackedUserOperation} from "@openzeppelin/contracts/interfaces/IERC4337.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignerECDSA} from "@openzeppelin/contracts/utils/cryptography/signers/SignerECDSA.sol";

/**
 * @title LykosPaymaster
 * @notice Verifying paymaster for EntryPoint v0.8: it pays for a UserOperation when our backend's signer key has
 * signed it (OpenZeppelin 5.7 `PaymasterSigner` + `SignerECDSA`).
 *
 * `paymasterData = validAfter (6 bytes) ‖ validUntil (6 bytes) ‖ ECDSA signature (65 bytes)`, the signature being
 * EIP-712 (domain "LykosPaymaster", "1", chain id, this contract) over
 * `UserOperationRequest(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,
 * uint256 preVerificationGas,bytes32 gasFees,uint256 paymasterVerificationGasLimit,uint256 paymasterPostOpGasLimit,
 * uint48 validAfter,uint48 validUntil)`; `getHash` returns that digest. A wrong signature is reported to the
 * EntryPoint as a signature failure (AA34), a window that does not contain the block time as AA32.
 *
 * The owner (an operations key, not the hot signer) rotates the signer without redeploying, and alone can move the
 * deposit or the stake out. Anyone may add to the deposit.
 */
contract LykosPaymaster is PaymasterSigner, SignerECDSA, Ownable {
    event SignerChanged(address indexed previousSigner, address indexed newSigner);

    error LykosPaymasterInvalidSigner();
    error LykosPaymasterCannotRenounce();

    constructor(
        address initialOwner,
        address initialSigner
    ) EIP712("LykosPaymaster", "1") SignerECDSA(initialSigner) Ownable(initialOwner) {
        if (initialSigner == address(0)) revert LykosPaymasterInvalidSigner();
        emit SignerChanged(address(0), initialSigner);
    }

    /// @dev OpenZeppelin 5.7 defaults to EntryPoint v0.9; we run on v0.8 at its canonical address.
    function entryPoint() public pure override returns (IEntryPoint) {
        return ERC4337Utils.ENTRYPOINT_V08;
    }

    /// @notice Replace the signing key (key rotation, or a compromised key); ops signed by the old key stop passing.
    function setSigner(address newSigner) external onlyOwner {
        if (newSigner == address(0)) revert LykosPaymasterInvalidSigner();
        emit SignerChanged(signer(), newSigner);
        _setSigner(newSigner);
    }

    /// @notice The EIP-712 digest the signer signs for `userOp` (its `paymasterAndData` is ignored) and the window.
    function getHash(
        PackedUserOperation calldata userOp,
        uint48 validAfter,
        uint48 validUntil
    ) external view returns (bytes32) {
        return _signableUserOpHash(userOp, validAfter, validUntil);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Deposit and stake at the EntryPoint
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Add `msg.value` to this paymaster's EntryPoint deposit (what sponsored operations are paid from).
    function deposit() external payable {
        _deposit(msg.value);
    }

    /// @notice This paymaster's current EntryPoint deposit.
    function getDeposit() external view returns (uint256) {
        return entryPoint().balanceOf(address(this));
    }

    function withdraw(address payable to, uint256 amount) external onlyOwner {
        _withdraw(to, amount);
    }

    function addStake(uint32 unstakeDelaySec) external payable onlyOwner {
        _addStake(msg.value, unstakeDelaySec);
    }

    function unlockStake() external onlyOwner {
        _unlockStake();
    }

    function withdrawStake(address payable to) external onlyOwner {
        _withdrawStake(to);
    }

    /// @dev Without an owner the deposit and the stake would be locked for good, and the signer could never rotate.
    function renounceOwnership() public view override onlyOwner {
        revert LykosPaymasterCannotRenounce();
    }
}
