// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice ERC-721 with an open `mint`, for tests and the dev chain only: never deploy it anywhere with value.
contract LykosTestNFT is ERC721 {
    constructor() ERC721("Lykos Test NFT", "LTN") {}

    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}
