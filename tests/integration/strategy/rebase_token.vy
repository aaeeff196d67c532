# pragma version ~=0.4.3
"""
@title Rebasing test token: balances are shares times an index the owner can change
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

ONE: constant(uint256) = 10**18

owner: address
index: public(uint256)
decimals: public(uint8)
shares: HashMap[address, uint256]
allowance: public(HashMap[address, HashMap[address, uint256]])


@deploy
def __init__(supply: uint256):
    self.owner = msg.sender
    self.index = ONE
    self.decimals = 18
    self.shares[msg.sender] = supply
    log Transfer(sender=empty(address), receiver=msg.sender, value=supply)


@external
def rebase(index: uint256):
    assert msg.sender == self.owner
    self.index = index


@view
@external
def balanceOf(who: address) -> uint256:
    return self.shares[who] * self.index // ONE


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    moved: uint256 = amount * ONE // self.index
    self.shares[sender] -= moved
    self.shares[receiver] += moved
    log Transfer(sender=sender, receiver=receiver, value=amount)


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    self.allowance[sender][msg.sender] -= amount
    self._transfer(sender, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True
