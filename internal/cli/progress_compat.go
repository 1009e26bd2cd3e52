package cli

// termProgress is the name root.go still uses; a zero progress with w set
// works like one from newProgress. Remove this file once root.go calls
// newProgress.
type termProgress = progress
