// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Reverts in the ways contracts do (a reason string, a custom error, a panic), for the scanner's tests.
contract LykosTestReverter {
    error LykosTestRefused(address caller, uint256 code);

    function failWithReason(string calldata reason) external pure {
        revert(reason);
    }

    function failWithError(uint256 code) external view {
        revert LykosTestRefused(msg.sender, code);
    }

    function failWithPanic(uint256 divisor) external pure returns (uint256) {
        return 1 / divisor;
    }
}
