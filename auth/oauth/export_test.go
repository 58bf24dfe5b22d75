package oauth

// UsedStatesLen is how many states f remembers as used: the attack tests
// check a flood of forged cookies leaves it as it was.
func UsedStatesLen(f *Flow) int { return f.used.len() }
