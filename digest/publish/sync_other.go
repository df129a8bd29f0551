//go:build !linux

package publish

// syncFiles makes the temporary files durable, one fsync each.
func syncFiles(dir string, files []rename) error { return syncEach(files) }
