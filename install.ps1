# gambi installer for Windows: downloads the release's Windows archive, checks it against the
# release's SHA256SUMS, and puts gambi.exe in %LOCALAPPDATA%\Programs\gambi. No administrator
# needed; running it again upgrades in place.
#
#   irm <download folder>/install.ps1 | iex
#
# Environment: GAMBI_DOWNLOAD_URL (the folder holding SHA256SUMS and the archives), GAMBI_VERSION
# (a version instead of the latest), GAMBI_INSTALL_DIR (where gambi.exe goes). Same as install.sh.
$ErrorActionPreference = 'Stop'

# scripts/release.ts fills this in with the project's releases page.
$ReleasesUrl = ''

# throw, not exit: under `irm | iex`, exit would close the user's PowerShell window.
function Fail($message) { throw "gambi install: $message" }

$arch = $env:PROCESSOR_ARCHITECTURE
if ($arch -ne 'AMD64' -and $arch -ne 'ARM64') { Fail "unsupported CPU: $arch (gambi is built for x64; ARM64 runs it under emulation)" }
$target = 'windows-x64'

if ($env:GAMBI_DOWNLOAD_URL) { $folder = $env:GAMBI_DOWNLOAD_URL.TrimEnd('/') }
elseif ($ReleasesUrl -and $env:GAMBI_VERSION) { $folder = "$ReleasesUrl/download/v$($env:GAMBI_VERSION.TrimStart('v'))" }
elseif ($ReleasesUrl) { $folder = "$ReleasesUrl/latest/download" }
else { Fail 'this copy of install.ps1 does not know where gambi is released: set GAMBI_DOWNLOAD_URL' }
$dir = if ($env:GAMBI_INSTALL_DIR) { $env:GAMBI_INSTALL_DIR } else { Join-Path $env:LOCALAPPDATA 'Programs\gambi' }

$tmp = Join-Path ([IO.Path]::GetTempPath()) ("gambi-install-" + [Guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
  Write-Host "gambi install: $target from $folder"
  $sums = (Invoke-WebRequest -UseBasicParsing "$folder/SHA256SUMS").Content
  if ($sums -is [byte[]]) { $sums = [Text.Encoding]::UTF8.GetString($sums) }
  $line = $sums -split "`n" | Where-Object { $_ -match "^([0-9a-fA-F]{64})  \*?(gambi-[0-9A-Za-z.+-]+-$target\.zip)\s*$" } | Select-Object -First 1
  if (-not $line) { Fail "this release has no build for $target (see $folder/SHA256SUMS)" }
  $null = $line -match "^([0-9a-fA-F]{64})  \*?(\S+)"
  $expected = $Matches[1].ToLower(); $archive = $Matches[2]

  $zip = Join-Path $tmp $archive
  Invoke-WebRequest -UseBasicParsing "$folder/$archive" -OutFile $zip
  $actual = (Get-FileHash -Algorithm SHA256 $zip).Hash.ToLower()
  if ($actual -ne $expected) { Fail "checksum mismatch for ${archive}: SHA256SUMS says $expected, the download is $actual; nothing was installed" }

  Expand-Archive -Path $zip -DestinationPath (Join-Path $tmp 'unpacked')
  $new = Join-Path $tmp ("unpacked\" + $archive.Replace('.zip', '') + '\gambi.exe')
  if (-not (Test-Path $new)) { Fail "$archive holds no gambi.exe" }
  $version = & $new --version
  if ($LASTEXITCODE -ne 0) { Fail "the downloaded gambi.exe does not run on this machine" }

  New-Item -ItemType Directory -Force -Path $dir | Out-Null
  $exe = Join-Path $dir 'gambi.exe'
  # A running gambi.exe cannot be overwritten but can be renamed: move it aside, put the new one
  # in place, and bring the old one back if that fails.
  if (Test-Path "$exe.old") { Remove-Item -Force "$exe.old" -ErrorAction SilentlyContinue }
  if (Test-Path $exe) { Move-Item -Force $exe "$exe.old" }
  try { Copy-Item $new $exe } catch { if (Test-Path "$exe.old") { Move-Item -Force "$exe.old" $exe }; throw }
  Write-Host "gambi $version installed in $exe"

  if (-not (($env:Path -split ';') -contains $dir)) {
    Write-Host ""
    Write-Host "$dir is not on your PATH. Add it for your user, then open a new terminal:"
    Write-Host "  [Environment]::SetEnvironmentVariable('Path', `"$dir;`" + [Environment]::GetEnvironmentVariable('Path', 'User'), 'User')"
  }
} finally {
  Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
}
