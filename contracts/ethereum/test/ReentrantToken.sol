// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A hostile token: once armed, the next transfer out of `hookFrom` first calls
/// `target` with `payload` (for example the vault's `withdraw` again, or a view) and
/// records the outcome instead of bubbling it, so a test can inspect what the vault
/// allowed in the middle of its own transfer.
contract ReentrantToken is ERC20 {
    uint8 private immutable _decimals;
    bool public armed;
    address public hookFrom;
    address public target;
    bytes public payload;
    bool public lastOk;
    bytes public lastResult;
    uint256 public hookCalls;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address hookFrom_, address target_, bytes calldata payload_) external {
        armed = true;
        hookFrom = hookFrom_;
        target = target_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (armed && from == hookFrom && from != address(0)) {
            armed = false;
            hookCalls += 1;
            (bool ok, bytes memory result) = target.call(payload);
            lastOk = ok;
            lastResult = result;
        }
        super._update(from, to, value);
    }
}
