// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {LykosAccount} from "./LykosAccount.sol";

/**
 * @title LykosAccountFactory
 * @notice Deploys LykosAccount clones (ERC-1167) by CREATE2. The address depends only on this factory, the
 * implementation and (initial owner key, salt); the factory and implementation are themselves deployed through the
 * deterministic deployment proxy, so an account has the same address on every chain before it exists anywhere.
 *
 * `createAccount` is what a UserOperation's `factory`/`factoryData` calls on the first operation. It is
 * idempotent (returns the existing account) and safe to call by anyone: the initial owner is part of the salt, so a
 * front-runner can only deploy the account the owner wanted.
 */
contract LykosAccountFactory {
    address public immutable accountImplementation;

    event AccountCreated(address indexed account, bytes32 qx, bytes32 qy, uint256 salt);

    constructor(address implementation) {
        accountImplementation = implementation;
    }

    /// @notice Deploy (or return) the account owned by passkey (qx, qy) for `salt`.
    function createAccount(bytes32 qx, bytes32 qy, uint256 salt) external returns (address account) {
        bytes32 cloneSalt = _cloneSalt(qx, qy, salt);
        account = Clones.predictDeterministicAddress(accountImplementation, cloneSalt);
        if (account.code.length == 0) {
            Clones.cloneDeterministic(accountImplementation, cloneSalt);
            LykosAccount(payable(account)).initialize(qx, qy);
            emit AccountCreated(account, qx, qy, salt);
        }
    }

    /// @notice Counterfactual address of the account `createAccount(qx, qy, salt)` deploys.
    function getAddress(bytes32 qx, bytes32 qy, uint256 salt) external view returns (address) {
        return Clones.predictDeterministicAddress(accountImplementation, _cloneSalt(qx, qy, salt));
    }

    function _cloneSalt(bytes32 qx, bytes32 qy, uint256 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(qx, qy, salt));
    }
}
