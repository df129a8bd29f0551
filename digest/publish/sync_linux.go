package publish

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncFiles makes the temporary files durable. One syncfs(2) of the file
// system holding dir replaces thousands of fsyncs after a full publish (each
// costs milliseconds, much more on an SD card); for a few files, fsync each.
func syncFiles(dir string, files []rename) error {
	if len(files) <= 16 {
		return syncEach(files)
	}
	return syncFS(dir)
}

// syncDirs makes renames and removals in dirs durable: one fsync per
// directory, or one syncfs(2) when a full publish touched hundreds.
func syncDirs(root string, dirs []string) error {
	if len(dirs) <= 16 {
		for _, d := range dirs {
			if err := syncDir(d); err != nil {
				return err
			}
		}
		return nil
	}
	return syncFS(root)
}

func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// renameFile is rename(2) itself: os.Rename first lstats the target to
// refuse directories, one more call per file, and rename(2) refuses to
// replace a directory with a file anyway.
func renameFile(from, to string) error {
	if err := unix.Rename(from, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// createFile creates name (it must not exist) with data and mode 0644 and
// returns its size and mtime. Raw system calls: os.OpenFile would add
// fcntl and epoll calls per file, which add up over 10,000 files.
func createFile(name string, data []byte) (fileStamp, error) {
	fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fileStamp{}, &os.PathError{Op: "create", Path: name, Err: err}
	}
	st, err := fillFile(fd, data)
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		unix.Unlink(name)
		return fileStamp{}, &os.PathError{Op: "write", Path: name, Err: err}
	}
	return st, nil
}

func fillFile(fd int, data []byte) (fileStamp, error) {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fileStamp{}, err
		}
		data = data[n:]
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileStamp{}, err
	}
	// A restrictive umask would hide the site from a web server running
	// as another user.
	if st.Mode&0o777 != 0o644 {
		if err := unix.Fchmod(fd, 0o644); err != nil {
			return fileStamp{}, err
		}
	}
	return fileStamp{size: st.Size, mtime: st.Mtim.Nano()}, nil
}
