package auth

import "runtime/debug"

// An argon2 hash takes argonMemory (19 MiB) of heap for its few tens of
// milliseconds. The runtime would keep those pages after it, and return
// them to the system only after its next collection (on an idle server,
// up to two minutes later): every hash left the process 19 MiB bigger for
// a while, and --dev, which hashes its three demo passwords at start, sat
// at 89 MB. So once no other hash is running, the memory goes back at
// once: a collection of a small heap, a few milliseconds, next to the
// hash's own.

// hashPassword is HashPassword, and gives its memory back.
func (s *Service) hashPassword(password string) string {
	s.hashes.Add(1)
	defer s.hashed()
	return HashPassword(password)
}

// checkPassword is CheckPassword, and gives its memory back.
func (s *Service) checkPassword(password, hash string) bool {
	s.hashes.Add(1)
	defer s.hashed()
	return CheckPassword(password, hash)
}

// hashed gives the heap's free pages back to the system when the last
// hash running has ended.
func (s *Service) hashed() {
	if s.hashes.Add(-1) == 0 {
		debug.FreeOSMemory()
	}
}
