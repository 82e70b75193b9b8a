"""Standard addresses and door plates (一标): unique addresses, numbering along a street,
printable QR door-plate sheets."""
