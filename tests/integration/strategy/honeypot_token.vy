# pragma version ~=0.4.3
"""
@title Honeypot test token: only exempt senders may transfer (buy from the pair: yes; sell: no)
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

owner: address
exempt: public(HashMap[address, bool])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@deploy
def __init__(supply: uint256):
    self.owner = msg.sender
    self.exempt[msg.sender] = True
    self.decimals = 18
    self.totalSupply = supply
    self.balanceOf[msg.sender] = supply
    log Transfer(sender=empty(address), receiver=msg.sender, value=supply)


@external
def set_exempt(who: address, flag: bool):
    assert msg.sender == self.owner
    self.exempt[who] = flag


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    assert self.exempt[sender], "honeypot: transfers are blocked"
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount
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
