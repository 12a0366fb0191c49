// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title SCCTN bridge vault
/// @notice Locks the SCCTN ERC-20 on Ethereum for the consortium chain and releases it only
/// with EIP-712 signatures of validators holding more than two thirds of the current
/// validator set's power.
///
/// Theory of operation:
/// - Deposits: the vault pulls `amount` with SafeERC20 and credits the balance actually
///   received (fee-on-transfer safe). Each deposit gets the next nonce (1, 2, ...), with no
///   gaps, in a `Deposited` event the consortium validators attest to.
/// - Validator sets: only `checkpoint = hashStruct(Valset)` and the nonce are stored. Every
///   signed call carries the full current set, which must hash to the checkpoint.
///   `updateValset` moves to a set with a higher nonce, signed by the current set.
/// - Withdrawals: single-use ids, marked used before any transfer; a per-transaction cap
///   and a daily limit; above `largeAmount` the withdrawal is queued for `largeDelay`
///   seconds (the guardian may pause and cancel it meanwhile).
/// - Pause is one transaction by the guardian; unpausing and changing limits or the
///   guardian needs a `VaultChange` signed by the set and `changeDelay` seconds.
contract SCCTNVault is EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

    struct Withdrawal {
        uint256 id;
        address recipient;
        uint256 amount;
        uint256 expiry;
    }

    struct Valset {
        uint256 nonce;
        address[] validators;
        uint256[] powers;
    }

    struct VaultChange {
        uint256 nonce;
        uint256 perTxCap;
        uint256 dailyLimit;
        uint256 largeAmount;
        uint256 largeDelay;
        address guardian;
        bool unpause;
    }

    struct Sig {
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    struct Queued {
        address recipient;
        uint256 amount;
        uint256 eta;
    }

    bytes32 public constant WITHDRAWAL_TYPEHASH =
        keccak256("Withdrawal(uint256 id,address recipient,uint256 amount,uint256 expiry)");
    bytes32 public constant VALSET_TYPEHASH =
        keccak256("Valset(uint256 nonce,address[] validators,uint256[] powers)");
    bytes32 public constant VAULT_CHANGE_TYPEHASH = keccak256(
        "VaultChange(uint256 nonce,uint256 perTxCap,uint256 dailyLimit,uint256 largeAmount,uint256 largeDelay,address guardian,bool unpause)"
    );
    uint256 public constant MAX_VALIDATORS = 100;
    // Bounds the total power so that `power * 3` never overflows.
    uint256 public constant MAX_TOTAL_POWER = type(uint128).max;

    IERC20 public immutable token;
    uint8 public immutable tokenDecimals;
    uint8 public immutable chainDecimals;
    uint256 public immutable scale;
    uint256 public immutable changeDelay;

    uint256 public depositNonce;
    uint256 public valsetNonce;
    bytes32 public valsetCheckpoint;
    mapping(uint256 => bool) public used;
    mapping(uint256 => Queued) public queued;
    mapping(uint256 => uint256) public spentOn; // day (timestamp / 1 days) => token units

    bool public paused;
    address public guardian;
    uint256 public perTxCap;
    uint256 public dailyLimit;
    uint256 public largeAmount;
    uint256 public largeDelay;

    uint256 public changeNonce;
    bytes32 public pendingChange; // hashStruct of the scheduled VaultChange, 0 if none
    uint256 public pendingChangeEta;

    event Deposited(uint256 indexed nonce, address indexed sender, bytes recipient, uint256 amount);
    event Withdrawn(uint256 indexed id, address indexed recipient, uint256 amount);
    event WithdrawalQueued(uint256 indexed id, address indexed recipient, uint256 amount, uint256 eta);
    event WithdrawalCancelled(uint256 indexed id, address indexed recipient, uint256 amount);
    event ValsetUpdated(uint256 indexed nonce, bytes32 checkpoint, address[] validators, uint256[] powers);
    // Named VaultPaused: an event may not share the name of the `Paused` error.
    event VaultPaused(address by);
    event Unpaused();
    event ChangeScheduled(uint256 nonce, uint256 eta);
    event ChangeApplied(uint256 nonce);

    error ZeroAmount();
    error BadRecipient();
    error AmountTooSmall();
    error Paused();
    error Expired();
    error AlreadyUsed();
    error OverTxCap();
    error OverDailyLimit();
    error BadValset();
    error WrongValset();
    error SignersNotSorted();
    error BadSignature();
    error NoQuorum();
    error StaleNonce();
    error NotGuardian();
    error TooEarly();
    error UnknownChange();
    error NotQueued();
    error NotPaused();
    error BadDecimals();

    constructor(
        IERC20Metadata token_,
        uint8 chainDecimals_,
        address[] memory validators,
        uint256[] memory powers,
        uint256 valsetNonce_,
        address guardian_,
        uint256 perTxCap_,
        uint256 dailyLimit_,
        uint256 largeAmount_,
        uint256 largeDelay_,
        uint256 changeDelay_
    ) EIP712("SCCTN Bridge", "1") {
        uint8 dec = token_.decimals();
        if (chainDecimals_ > dec || dec - chainDecimals_ > 77) revert BadDecimals();
        token = IERC20(address(token_));
        tokenDecimals = dec;
        chainDecimals = chainDecimals_;
        scale = 10 ** uint256(dec - chainDecimals_);
        _checkValsetShape(validators, powers);
        valsetNonce = valsetNonce_;
        valsetCheckpoint = _hashValset(valsetNonce_, validators, powers);
        guardian = guardian_;
        perTxCap = perTxCap_;
        dailyLimit = dailyLimit_;
        largeAmount = largeAmount_;
        largeDelay = largeDelay_;
        changeDelay = changeDelay_;
        emit ValsetUpdated(valsetNonce_, valsetCheckpoint, validators, powers);
    }

    // ---------------------------------------------------------------- deposits

    /// @param recipient the consortium account: exactly 20 bytes, not all zero.
    function deposit(uint256 amount, bytes calldata recipient) external nonReentrant {
        if (paused) revert Paused();
        if (amount == 0) revert ZeroAmount();
        if (recipient.length != 20 || bytes20(recipient) == bytes20(0)) revert BadRecipient();
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received < scale) revert AmountTooSmall();
        uint256 nonce = depositNonce + 1;
        depositNonce = nonce;
        emit Deposited(nonce, msg.sender, recipient, received);
    }

    // ------------------------------------------------------------- withdrawals

    function withdraw(
        Withdrawal calldata w,
        Valset calldata current,
        uint256[] calldata signers,
        Sig[] calldata sigs
    ) external nonReentrant {
        if (paused) revert Paused();
        if (w.amount == 0) revert ZeroAmount();
        if (w.recipient == address(0)) revert BadRecipient();
        _checkCurrent(current);
        if (block.timestamp > w.expiry) revert Expired();
        if (used[w.id]) revert AlreadyUsed();
        if (w.amount > perTxCap) revert OverTxCap();
        uint256 day = block.timestamp / 1 days;
        uint256 spent = spentOn[day] + w.amount;
        if (spent > dailyLimit) revert OverDailyLimit();
        _checkQuorum(current, _hashTypedDataV4(hashWithdrawal(w)), signers, sigs);

        used[w.id] = true;
        spentOn[day] = spent;
        if (w.amount > largeAmount) {
            uint256 eta = block.timestamp + largeDelay;
            queued[w.id] = Queued(w.recipient, w.amount, eta);
            emit WithdrawalQueued(w.id, w.recipient, w.amount, eta);
        } else {
            emit Withdrawn(w.id, w.recipient, w.amount);
            token.safeTransfer(w.recipient, w.amount);
        }
    }

    /// @notice Releases a queued withdrawal after its delay; anyone may call it.
    function release(uint256 id) external nonReentrant {
        if (paused) revert Paused();
        Queued memory q = queued[id];
        if (q.recipient == address(0)) revert NotQueued();
        if (block.timestamp < q.eta) revert TooEarly();
        delete queued[id];
        emit Withdrawn(id, q.recipient, q.amount);
        token.safeTransfer(q.recipient, q.amount);
    }

    /// @notice The guardian drops a queued withdrawal while the vault is paused. The id
    /// stays used; the tokens stay in the vault.
    function cancelQueued(uint256 id) external {
        if (msg.sender != guardian) revert NotGuardian();
        if (!paused) revert NotPaused();
        Queued memory q = queued[id];
        if (q.recipient == address(0)) revert NotQueued();
        delete queued[id];
        emit WithdrawalCancelled(id, q.recipient, q.amount);
    }

    // ---------------------------------------------------------- validator sets

    function updateValset(
        Valset calldata next,
        Valset calldata current,
        uint256[] calldata signers,
        Sig[] calldata sigs
    ) external {
        _checkCurrent(current);
        if (next.nonce <= valsetNonce) revert StaleNonce();
        _checkValsetShape(next.validators, next.powers);
        bytes32 nextHash = hashValset(next);
        _checkQuorum(current, _hashTypedDataV4(nextHash), signers, sigs);
        valsetNonce = next.nonce;
        valsetCheckpoint = nextHash;
        emit ValsetUpdated(next.nonce, nextHash, next.validators, next.powers);
    }

    // ------------------------------------------------------ pause and changes

    function pause() external {
        if (msg.sender != guardian) revert NotGuardian();
        paused = true;
        emit VaultPaused(msg.sender);
    }

    function scheduleChange(
        VaultChange calldata c,
        Valset calldata current,
        uint256[] calldata signers,
        Sig[] calldata sigs
    ) external {
        _checkCurrent(current);
        if (c.nonce != changeNonce + 1) revert StaleNonce();
        bytes32 h = hashVaultChange(c);
        _checkQuorum(current, _hashTypedDataV4(h), signers, sigs);
        changeNonce = c.nonce;
        pendingChange = h;
        uint256 eta = block.timestamp + changeDelay;
        pendingChangeEta = eta;
        emit ChangeScheduled(c.nonce, eta);
    }

    function applyChange(VaultChange calldata c) external {
        bytes32 h = hashVaultChange(c);
        if (h == bytes32(0) || h != pendingChange) revert UnknownChange();
        if (block.timestamp < pendingChangeEta) revert TooEarly();
        pendingChange = bytes32(0);
        pendingChangeEta = 0;
        perTxCap = c.perTxCap;
        dailyLimit = c.dailyLimit;
        largeAmount = c.largeAmount;
        largeDelay = c.largeDelay;
        guardian = c.guardian;
        if (c.unpause && paused) {
            paused = false;
            emit Unpaused();
        }
        emit ChangeApplied(c.nonce);
    }

    // ------------------------------------------------------------------ views

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The EIP-712 digest a validator signs for `structHash`.
    function digestOf(bytes32 structHash) external view returns (bytes32) {
        return _hashTypedDataV4(structHash);
    }

    function hashWithdrawal(Withdrawal calldata w) public pure returns (bytes32) {
        return keccak256(abi.encode(WITHDRAWAL_TYPEHASH, w.id, w.recipient, w.amount, w.expiry));
    }

    function hashValset(Valset calldata v) public pure returns (bytes32) {
        return _hashValset(v.nonce, v.validators, v.powers);
    }

    function hashVaultChange(VaultChange calldata c) public pure returns (bytes32) {
        return keccak256(
            abi.encode(
                VAULT_CHANGE_TYPEHASH,
                c.nonce,
                c.perTxCap,
                c.dailyLimit,
                c.largeAmount,
                c.largeDelay,
                c.guardian,
                c.unpause
            )
        );
    }

    // --------------------------------------------------------------- internal

    function _hashValset(uint256 nonce, address[] memory validators, uint256[] memory powers)
        internal
        pure
        returns (bytes32)
    {
        // EIP-712 arrays: keccak of the concatenated 32-byte encodings of the elements,
        // which is what abi.encodePacked does for arrays.
        return keccak256(
            abi.encode(
                VALSET_TYPEHASH,
                nonce,
                keccak256(abi.encodePacked(validators)),
                keccak256(abi.encodePacked(powers))
            )
        );
    }

    function _checkCurrent(Valset calldata current) internal view {
        if (hashValset(current) != valsetCheckpoint) revert WrongValset();
    }

    function _checkValsetShape(address[] memory validators, uint256[] memory powers) internal pure {
        uint256 n = validators.length;
        if (n == 0 || n > MAX_VALIDATORS || powers.length != n) revert BadValset();
        uint256 total;
        address prev;
        for (uint256 i; i < n; ++i) {
            address a = validators[i];
            if (a <= prev) revert BadValset(); // strictly ascending, so unique and non-zero
            uint256 p = powers[i];
            if (p == 0 || p > MAX_TOTAL_POWER) revert BadValset();
            total += p;
            prev = a;
        }
        if (total == 0 || total > MAX_TOTAL_POWER) revert BadValset();
    }

    /// @dev `current` already matches the checkpoint, so it is well formed.
    function _checkQuorum(
        Valset calldata current,
        bytes32 digest,
        uint256[] calldata signers,
        Sig[] calldata sigs
    ) internal pure {
        uint256 n = signers.length;
        if (sigs.length != n) revert BadSignature();
        uint256 signed;
        for (uint256 i; i < n; ++i) {
            uint256 idx = signers[i];
            if ((i > 0 && idx <= signers[i - 1]) || idx >= current.validators.length) {
                revert SignersNotSorted();
            }
            (address who, ECDSA.RecoverError err,) =
                ECDSA.tryRecover(digest, sigs[i].v, sigs[i].r, sigs[i].s);
            if (err != ECDSA.RecoverError.NoError || who != current.validators[idx]) {
                revert BadSignature();
            }
            signed += current.powers[idx];
        }
        uint256 total;
        for (uint256 i; i < current.powers.length; ++i) {
            total += current.powers[i];
        }
        if (signed * 3 <= total * 2) revert NoQuorum();
    }
}
