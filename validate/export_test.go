package validate

import "testing"

// For the external benchmark (cachebench_test.go).
var WorldDir = func() string { return *world }

func BenchRunWorld(b *testing.B, stores func() (Syncer, Store)) { benchRunWorld(b, stores) }
