//go:build !linux

package publish

import "os"

// syncFiles makes the temporary files durable, one fsync each.
func syncFiles(dir string, files []rename) error { return syncEach(files) }

// syncDirs makes renames and removals in dirs durable, one fsync each.
func syncDirs(root string, dirs []string) error {
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// createFile creates name (it must not exist) with data and mode 0644 and
// returns its size and mtime.
func createFile(name string, data []byte) (fileStamp, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fileStamp{}, err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // whatever the umask
	}
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fileStamp{}, err
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}, nil
}

func renameFile(from, to string) error { return os.Rename(from, to) }
