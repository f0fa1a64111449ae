package validate

import (
	"testing"
	"time"
)

// For the external benchmark (cachebench_test.go).
var (
	WatchHeap = watchHeap
	WorldDir  = func() string { return *world }
)

func WorldNow(b *testing.B) time.Time { return worldNow(b) }
