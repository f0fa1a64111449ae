//go:build !(linux && (amd64 || arm64 || riscv64 || loong64))

package cache

import (
	"io"
	"os"
)

const oPath = 0

// openBeneath is not available here: os.Root does the work.
func (c *Cache) openBeneath(string, int) (*os.File, error) { return nil, errNoOpenat2 }

// dirInodes is not available here: Promote compares files one by one.
func (c *Cache) dirInodes(string) (map[string]uint64, uint64, bool) { return nil, 0, false }

func (c *Cache) readBeneath(string) ([]byte, error) { return nil, errNoOpenat2 }

func (c *Cache) createBeneath(string) (io.WriteCloser, error) { return nil, errNoOpenat2 }

func (c *Cache) direntsAll(string) ([]dirEntry, error) { return nil, errNoOpenat2 }

// promoteFirst is not available here: Promote takes the journal's way.
func (c *Cache) promoteFirst(string, string, []File) (bool, error) { return false, nil }

func (c *Cache) openat2(string, int) (int, error) { return -1, errNoOpenat2 }

func (c *Cache) readAt(int, string, string) ([]byte, error) { return nil, errNoOpenat2 }

func (c *Cache) listFD(int, string) ([]string, error) { return nil, errNoOpenat2 }

func closeFD(int) error { return nil }

func (c *Cache) mkdirAll(name string) error { return c.root.MkdirAll(name, dirPerm) }

// readdirFills: listings read until getdents returns nothing.
func readdirFills(*os.File) bool { return false }
