package cluster

// SlotCount is the number of Redis Cluster hash slots.
const SlotCount = 16384

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0, no
// reflection), the checksum Redis Cluster hashes keys with.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// KeySlot returns the hash slot of key, as Redis Cluster computes it: if
// the key holds a '{' followed later by a '}' with at least one byte
// between them, only the bytes between the first '{' and the first '}'
// after it (the hash tag) are hashed.
func KeySlot(key []byte) int {
	return int(crc16(hashTag(key)) % SlotCount)
}

// hashTag returns the part of key that is hashed.
func hashTag(key []byte) []byte {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return key // "{}": the whole key is hashed
				}
				return key[i+1 : j]
			}
		}
		return key
	}
	return key
}
