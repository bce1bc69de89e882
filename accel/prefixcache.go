package accel

// PrefixCacheStats is what a backend's prefix cache served: counts since
// the backend was opened (a run takes the difference), and what it holds.
type PrefixCacheStats struct {
	// InputTokens are the prompt tokens of the requests admitted, and
	// HitTokens those of them served from the cache (their prefill skipped).
	InputTokens int64
	HitTokens   int64
	// Blocks and Tokens are what it holds now, CapacityTokens the most it
	// may hold (the device's KV capacity); its blocks are of BlockTokens
	// tokens (a prompt's last block may be shorter).
	Blocks         int64
	Tokens         int64
	CapacityTokens int64
	BlockTokens    int
}

// PrefixCacher is implemented by backends that keep a prefix cache (the
// simulator, unless opened without one); ok is false when it is off.
type PrefixCacher interface {
	PrefixCache() (s PrefixCacheStats, ok bool)
}
