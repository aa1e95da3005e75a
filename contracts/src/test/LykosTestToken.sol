// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice ERC-20 with an open `mint`, for tests and the dev chain only: never deploy it anywhere with value.
contract LykosTestToken is ERC20 {
    constructor() ERC20("Lykos Test Token", "LTT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
