//go:build !linux

package rxtime

import "net"

// Clock names the times Received gives: "read", none (callers read their
// clock after the read).
const Clock = "read"

// Wrap returns c: receive stamps are read on Linux only.
func Wrap(c net.Conn) net.Conn { return c }

func enable(fd uintptr) error { return nil }
