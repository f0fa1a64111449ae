package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// ErrHashMismatch is wrapped by the error Promote returns when a staged
// file no longer has the hash validation saw.
var ErrHashMismatch = errors.New("staged file changed since validation")

// File is one file of a publication point that validation accepted.
type File struct {
	Name string            // file name, without a slash
	Hash [sha256.Size]byte // SHA-256 of the contents validation checked
}

// journal is the record of one promotion in progress. It is written
// (renamed into place whole) after every new file sits in the temporary
// directory and before any of them is renamed into the valid area, and it
// is removed when the promotion is complete. Open replays the journals a
// killed run left, so a publication point in the valid area is always
// either wholly old or wholly new after Open.
//
// Nothing here calls fsync: a killed process loses no completed rename,
// and a promotion costs a few renames instead of an fsync per file (a
// world of 300,000 files would spend minutes in I/O wait). Against power
// loss, main calls Flush once the run's promotions are done; a power cut
// before that can leave a publication point's validated copy mixed or
// truncated, which validation then rejects (its manifest no longer
// matches) rather than trust.
type journal struct {
	Dir   string   `json:"dir"`   // publication point directory below valid/
	Names []string `json:"names"` // every file the directory holds afterwards
	Moves []move   `json:"moves"` // temporary files to rename into Dir
}

type move struct {
	Tmp  string `json:"tmp"`  // below the root, in the temporary directory
	Name string `json:"name"` // file name in Dir
}

// Promote makes valid/<dir>/ hold exactly files, taken from src/<srcDir>/
// where the fresh download of the publication point was validated. Each
// file is hard-linked (copied where the file system cannot link), and its
// SHA-256 checked against File.Hash, so the valid area only ever holds
// what validation accepted; a file already in place (the same file, or
// one with the right hash) is left alone. Linking is safe because nothing
// writes a cache file in place: RRDP and rsync both write a new file and
// rename it over the old name, so the validated copy keeps its contents. Files in valid/<dir>/ that are not
// listed are removed; subdirectories (the publication points of child
// CAs) are not touched. The swap is crash-safe through a journal that
// Open replays. A staged file whose hash differs gives an error wrapping
// ErrHashMismatch, and valid/<dir>/ is left as it was.
func (c *Cache) Promote(src Area, srcDir, dir string, files []File) error {
	srcBase, err := name(src, srcDir)
	if err != nil {
		return err
	}
	dstBase, err := name(AreaValid, dir)
	if err != nil {
		return err
	}
	if err := checkNames(files); err != nil {
		return fmt.Errorf("cache: promote %s: %w", dir, err)
	}
	if err := c.markValidChanged(); err != nil {
		return err
	}
	if done, err := c.promoteFirst(srcBase, dstBase, files); done {
		if err != nil {
			return fmt.Errorf("cache: promote %s: %w", dir, err)
		}
		return nil
	}
	j := journal{Dir: dir, Names: make([]string, 0, len(files))}
	if err := c.stage(&j, srcBase, dstBase, files); err != nil {
		return errors.Join(fmt.Errorf("cache: promote %s: %w", dir, err), c.dropTemps(j.Moves))
	}
	stale, err := c.staleFiles(dstBase, nameSet(j.Names))
	if err != nil {
		return errors.Join(fmt.Errorf("cache: promote %s: %w", dir, err), c.dropTemps(j.Moves))
	}
	if len(j.Moves) == 0 && len(stale) == 0 {
		return nil // nothing changed since the last promotion
	}
	jname, err := c.writeJournal(&j)
	if err != nil {
		return errors.Join(fmt.Errorf("cache: promote %s: %w", dir, err), c.dropTemps(j.Moves))
	}
	if err := c.applyJournal(jname, &j); err != nil {
		return fmt.Errorf("cache: promote %s: %w", dir, err)
	}
	return nil
}

// stage copies every changed file into the temporary directory, checking
// its hash, and records it in j.
func (c *Cache) stage(j *journal, srcBase, dstBase string, files []File) error {
	// Which validated copies are already the download's file: from the
	// two directory listings when they can be read with inode numbers.
	srcIno, srcDev, okSrc := c.dirInodes(srcBase)
	dstIno, dstDev, okDst := c.dirInodes(dstBase)
	fast := okSrc && okDst && srcDev == dstDev
	for _, f := range files {
		j.Names = append(j.Names, f.Name)
		src, dst := srcBase+"/"+f.Name, dstBase+"/"+f.Name
		if fast {
			if ino := srcIno[f.Name]; ino != 0 && ino == dstIno[f.Name] {
				continue
			}
		} else if c.sameFile(src, dst) {
			continue
		}
		if c.hasHash(dst, f.Hash) {
			continue
		}
		tmp, err := c.linkChecked(src, f.Hash)
		if err != nil {
			return err
		}
		j.Moves = append(j.Moves, move{Tmp: tmp, Name: f.Name})
	}
	return nil
}

// checkNames requires every file name to be a plain name the cache
// accepts, and each to be given once.
func checkNames(files []File) error {
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if !validName(f.Name) {
			return fmt.Errorf("%w: bad file name %q", ErrBadPath, f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("%w: file %q listed twice", ErrBadPath, f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// sameFile reports whether a and b are one file (one inode): the
// validated copy is a link to the download that was validated.
func (c *Cache) sameFile(a, b string) bool {
	fa, err := c.lstat(a)
	if err != nil || !fa.Mode().IsRegular() {
		return false
	}
	fb, err := c.lstat(b)
	return err == nil && os.SameFile(fa, fb)
}

// linkChecked links the file n into the temporary directory (or copies
// it there if it cannot be linked) and checks its hash.
func (c *Cache) linkChecked(n string, want [sha256.Size]byte) (string, error) {
	if fi, err := c.lstat(n); err != nil || !fi.Mode().IsRegular() {
		if err == nil {
			err = fmt.Errorf("%s: not a regular file", n)
		}
		return "", err
	}
	tmp := c.tempName()
	if err := c.root.Link(n, tmp); err != nil {
		return c.copyChecked(n, want)
	}
	if !c.hasHash(tmp, want) {
		return "", errors.Join(fmt.Errorf("%s: %w", n, ErrHashMismatch), c.root.Remove(tmp))
	}
	return tmp, nil
}

// hasHash reports whether the file n exists with the given SHA-256.
func (c *Cache) hasHash(n string, want [sha256.Size]byte) bool {
	f, err := c.openRead(n)
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return bytes.Equal(h.Sum(nil), want[:])
}

// copyChecked copies the file n into a temporary file and checks its hash.
func (c *Cache) copyChecked(n string, want [sha256.Size]byte) (string, error) {
	f, err := c.openRead(n)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	tmp, err := c.copyToTemp(io.TeeReader(f, h), false)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(h.Sum(nil), want[:]) {
		return "", errors.Join(fmt.Errorf("%s: %w", n, ErrHashMismatch), c.root.Remove(tmp))
	}
	return tmp, nil
}

// staleFiles lists the entries of directory dir that are neither
// directories, the cache's own dot names, nor in keep. A missing
// directory has none.
func (c *Cache) staleFiles(dir string, keep map[string]bool) ([]string, error) {
	d, err := c.openRead(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || keep[e.Name()] {
			continue
		}
		stale = append(stale, e.Name())
	}
	return stale, nil
}

// writeJournal stores j crash-safely and returns its name below the root.
func (c *Cache) writeJournal(j *journal) (string, error) {
	data, err := json.Marshal(j)
	if err != nil {
		return "", err
	}
	tmp, err := c.copyToTemp(bytes.NewReader(data), false)
	if err != nil {
		return "", err
	}
	jname := journalDir + "/" + strings.TrimPrefix(tmp, tmpDir+"/") + ".json"
	if err := c.root.Rename(tmp, jname); err != nil {
		return "", errors.Join(err, c.root.Remove(tmp))
	}
	return jname, nil
}

// applyJournal carries out j and then removes its journal file jname. It
// is idempotent, so Open can run it again after a crash: a temporary file
// that is gone was renamed already.
func (c *Cache) applyJournal(jname string, j *journal) error {
	if err := c.markValidChanged(); err != nil {
		return err
	}
	dst := string(AreaValid) + "/" + j.Dir
	if err := c.mkdirAll(dst); err != nil {
		return err
	}
	for _, m := range j.Moves {
		err := c.root.Rename(m.Tmp, dst+"/"+m.Name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	stale, err := c.staleFiles(dst, nameSet(j.Names))
	if err != nil {
		return err
	}
	for _, s := range stale {
		if err := c.root.Remove(dst + "/" + s); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return c.root.Remove(jname)
}

// dropTemps removes the temporary files of an abandoned promotion.
func (c *Cache) dropTemps(moves []move) error {
	var errs []error
	for _, m := range moves {
		if err := c.root.Remove(m.Tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// replayJournals finishes the promotions a killed run left. A journal
// that does not parse, or names paths the cache would refuse, was not
// written by tally; it is removed, and validation will reject whatever
// mix of files its publication point holds.
func (c *Cache) replayJournals() error {
	d, err := c.root.Open(journalDir)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	slices.Sort(names)
	for _, n := range names {
		jname := journalDir + "/" + n
		data, err := c.root.ReadFile(jname)
		if err != nil {
			return err
		}
		var j journal
		if json.Unmarshal(data, &j) != nil || !j.valid() {
			if err := c.root.Remove(jname); err != nil {
				return err
			}
			continue
		}
		if err := c.applyJournal(jname, &j); err != nil {
			return fmt.Errorf("replay %s: %w", jname, err)
		}
	}
	return nil
}

// valid checks every path in a journal read back from disk.
func (j *journal) valid() bool {
	if checkRel(j.Dir) != nil {
		return false
	}
	names := nameSet(j.Names)
	for n := range names {
		if !validName(n) {
			return false
		}
	}
	for _, m := range j.Moves {
		rest, ok := strings.CutPrefix(m.Tmp, tmpDir+"/")
		if _, err := hex.DecodeString(rest); !ok || err != nil || rest == "" || !names[m.Name] {
			return false
		}
	}
	return true
}

// validName reports whether n is a plain file name the cache accepts.
func validName(n string) bool {
	return !strings.Contains(n, "/") && checkRel(n) == nil
}

func nameSet(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}
